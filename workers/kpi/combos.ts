/**
 * The data version of an answer read from `kpi_day_combo` (several filters at once): like
 * `readVersion` for a slice, the newest change to the combination's rows up to `to`, its first day
 * of history, and the combination's days awaiting recomputation (listed as `pending`, with
 * `dim` the combination — `region+segment` — and `member` its members joined the same way).
 */
import type { Db } from "../db/client.ts";
import { COMBO_DIMS, type Path } from "./compile.ts";
import { type DataVersion, MAX_PENDING_LISTED, type VersionRow, versionOf } from "./store.ts";

const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

/**
 * `listPending`: list the combination's pending days (from `from` on) — only answers with a
 * recomputed measure (distinct counts, percentiles, new customers) can have any.
 */
export async function readComboVersion(
  db: Db,
  to: string,
  path: Extract<Path, { kind: "combo" }>,
  listPending: boolean,
  from?: string,
): Promise<DataVersion> {
  const [region, segment, category] = COMBO_DIMS.map((d) => path.members[d] ?? null);
  const result = await db.query<VersionRow>(
    `WITH v AS (
       SELECT max(updated_at) AS last_change, min(day) FILTER (WHERE orders > 0) AS history_start
         FROM kpi_day_combo
        WHERE dims = $2 AND ($3::text IS NULL OR region = $3) AND ($4::text IS NULL OR segment = $4)
          AND ($5::text IS NULL OR category = $5) AND day <= $1::date)
     SELECT to_char(v.last_change AT TIME ZONE 'UTC', ${ISO}) AS last_change, v.history_start::text AS history_start,
            to_char(p.last_batch_at AT TIME ZONE 'UTC', ${ISO}) AS last_batch_at, p.last_batch_lag_ms,
            (SELECT count(*)::int FROM (SELECT 1 FROM kpi_dirty LIMIT 10000) AS x)
              + (SELECT count(*)::int FROM (SELECT 1 FROM kpi_combo_dirty LIMIT 10000) AS x) AS pending,
            (SELECT json_agg(json_build_object('dim', d.dims, 'member', d.member, 'day', d.day::text))
               FROM (SELECT dims, concat_ws('+', nullif(region, ''), nullif(segment, ''), nullif(category, '')) AS member, day
                       FROM kpi_combo_dirty
                      WHERE $6::boolean AND dims = $2 AND ($3::text IS NULL OR region = $3)
                        AND ($4::text IS NULL OR segment = $4) AND ($5::text IS NULL OR category = $5)
                        AND day BETWEEN coalesce($7::date, '-infinity'::date) AND $1::date
                      ORDER BY day DESC, member LIMIT ${MAX_PENDING_LISTED}) AS d) AS pending_slices
       FROM v LEFT JOIN pipeline_state p ON p.id = 1`,
    [to, path.dims, region, segment, category, listPending, from ?? null],
  );
  return versionOf(result.rows[0]!);
}
