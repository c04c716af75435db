/**
 * Gold fact and KPI slices. Additive measures change by the batch's differences; slices the batch
 * touched are marked dirty (or their mark set again) and their non-additive measures (unique and new
 * customers, median and p90 order value) recomputed from silver — only those slices, never history.
 */
import type { Db } from "../../db/client.ts";
import { write } from "../../db/statements.ts";
import { type Additive, SALE_GROSS_SQL } from "../../kpi/measures.ts";
import type { Measures } from "../sale-rules.ts";
import { recomputeCombos } from "./combos.ts";
import { lockRecomputation } from "./locks.ts";
import {
  ALIASES,
  added,
  arrays,
  columns,
  FACT_COLUMNS,
  MEASURES,
  ORDERS_ALIAS,
  SLICE_COLUMNS,
  STORED_VALUES,
  withoutZeros,
} from "./measure-sql.ts";

/** Adds fact deltas (keyed `time|customer|product|region|rep`) and drops rows left empty. */
export async function applyFactDeltas(tx: Db, deltas: Map<string, Measures>): Promise<void> {
  const nonZero = withoutZeros(deltas);
  if (nonZero.size === 0) return;
  const c = columns(nonZero);
  const parts = c.keys.map((k) => k.split("|").map(Number));
  await write(
    tx,
    `WITH changed AS (
       INSERT INTO fact_sales_summary AS f (time_key, customer_key, product_key, region_key, sales_rep_key,
         ${FACT_COLUMNS.join(", ")}, customer_count)
       SELECT t, ck, pk, rk, sk, ${STORED_VALUES}, CASE WHEN ${ORDERS_ALIAS} > 0 THEN 1 ELSE 0 END
         FROM unnest($1::int[], $2::int[], $3::int[], $4::int[], $5::int[], ${arrays(6)})
           AS x(t, ck, pk, rk, sk, ${ALIASES.join(", ")})
       ON CONFLICT (time_key, customer_key, product_key, region_key, sales_rep_key) DO UPDATE SET
         ${added("f", FACT_COLUMNS)},
         customer_count = CASE WHEN f.record_count + excluded.record_count > 0 THEN 1 ELSE 0 END
       RETURNING time_key, customer_key, product_key, region_key, sales_rep_key, record_count)
     DELETE FROM fact_sales_summary f USING changed c
      WHERE c.record_count = 0 AND f.time_key = c.time_key AND f.customer_key = c.customer_key
        AND f.product_key = c.product_key AND f.region_key = c.region_key AND f.sales_rep_key = c.sales_rep_key`,
    [...[0, 1, 2, 3, 4].map((i) => parts.map((p) => p[i])), ...c.values],
  );
}

/**
 * Adds slice deltas (keyed `dim|member|day`) and marks every touched slice dirty, in one statement
 * (one round trip: a batch's transaction is on the path of every live update). A mark already
 * there is set again: a recomputation that read silver before this commit must not clear it (see
 * `recomputeSlices`).
 */
export async function applySliceDeltas(
  tx: Db,
  deltas: Map<string, Measures>,
  alsoDirty: string[] = [],
): Promise<void> {
  const dirty = [...new Set([...deltas.keys(), ...alsoDirty])].sort();
  if (dirty.length === 0) return;
  const marks = dirty.map((k) => k.split("|"));
  const c = columns(deltas);
  const parts = c.keys.map((k) => k.split("|"));
  const first = 4 + MEASURES.length;
  await write(
    tx,
    `WITH slices AS (
       INSERT INTO kpi_day_slice AS k (dim, member, day, ${SLICE_COLUMNS.join(", ")}, updated_at)
       SELECT d, m, day, ${STORED_VALUES}, clock_timestamp()
         FROM unnest($1::text[], $2::text[], $3::date[], ${arrays(4)}) AS x(d, m, day, ${ALIASES.join(", ")})
       ON CONFLICT (dim, member, day) DO UPDATE SET
         ${added("k", SLICE_COLUMNS)},
         -- clock_timestamp(), not now(): a row's writers take turns on its lock, so the later write
         -- carries the later time and the live room keeps the newest absolute value whatever order
         -- RPCs arrive in.
         updated_at = clock_timestamp()
       RETURNING 1)
     INSERT INTO kpi_dirty (dim, member, day)
     SELECT * FROM unnest($${first}::text[], $${first + 1}::text[], $${first + 2}::date[])
     ON CONFLICT (dim, member, day) DO UPDATE SET marked_at = clock_timestamp()`,
    [
      ...[0, 1, 2].map((i) => parts.map((p) => p[i])),
      ...c.values,
      ...[0, 1, 2].map((i) => marks.map((p) => p[i])),
    ],
  );
}

/**
 * Adds minute deltas (keyed `dim|member|minute`, epoch seconds) to `kpi_minute_slice` and returns
 * the keys it wrote (all-zero deltas are skipped: they change no value).
 */
export async function applyMinuteDeltas(tx: Db, deltas: Map<string, Measures>): Promise<string[]> {
  const nonZero = withoutZeros(deltas);
  if (nonZero.size === 0) return [];
  const c = columns(nonZero);
  const parts = c.keys.map((k) => k.split("|"));
  await write(
    tx,
    `INSERT INTO kpi_minute_slice AS k (dim, member, minute, ${SLICE_COLUMNS.join(", ")}, updated_at)
     SELECT d, m, to_timestamp(t), ${STORED_VALUES}, clock_timestamp()
       FROM unnest($1::text[], $2::text[], $3::bigint[], ${arrays(4)}) AS x(d, m, t, ${ALIASES.join(", ")})
     ON CONFLICT (dim, member, minute) DO UPDATE SET
       ${added("k", SLICE_COLUMNS)}, updated_at = clock_timestamp()`,
    [...[0, 1, 2].map((i) => parts.map((p) => p[i])), ...c.values],
  );
  return c.keys;
}

/**
 * Keeps `customer_first_sale` right for the given customers and returns the slices whose "new
 * customers" count may have changed (every slice of their sales on the old and new first days).
 */
export async function refreshFirstSales(tx: Db, customerIds: string[]): Promise<string[]> {
  if (customerIds.length === 0) return [];
  // Every read of silver goes through the customer index, one customer at a time (LATERAL, and
  // OFFSET 0 so the planner cannot flatten it into a join): a batch's few thousand customers
  // otherwise have the planner hash-join all of silver (seconds at a few hundred thousand sales).
  // Their recorded first days likewise, a key lookup each (as `= ANY` the planner scanned the
  // whole table, which has a row per customer).
  const result = await tx.query<{ slice: string }>(
    `WITH fresh AS (
       SELECT c.id, f.first_day,
              (SELECT o.first_day FROM customer_first_sale o WHERE o.customer_id = c.id) AS old_day
         FROM unnest($1::text[]) AS c(id)
         LEFT JOIN LATERAL (
           SELECT s.sale_date AS first_day FROM silver_sales_clean s
            WHERE s.customer_id = c.id AND NOT s.is_deleted ORDER BY s.sale_date LIMIT 1 OFFSET 0) f ON true),
     changed AS (
       SELECT id, old_day, first_day AS new_day FROM fresh WHERE old_day IS DISTINCT FROM first_day),
     removed AS (DELETE FROM customer_first_sale WHERE customer_id IN (SELECT id FROM changed WHERE new_day IS NULL)),
     written AS (
       INSERT INTO customer_first_sale (customer_id, first_day) SELECT id, new_day FROM changed WHERE new_day IS NOT NULL
       ON CONFLICT (customer_id) DO UPDATE SET first_day = excluded.first_day)
     SELECT DISTINCT unnest(ARRAY['all||' || s.sale_date, 'region|' || s.region || '|' || s.sale_date,
                                  'segment|' || s.customer_segment || '|' || s.sale_date,
                                  'category|' || s.product_category || '|' || s.sale_date,
                                  'sales_rep|' || coalesce(s.sales_rep_id, '') || '|' || s.sale_date]) AS slice
       FROM changed ch CROSS JOIN LATERAL (
         SELECT s.sale_date, s.region, s.customer_segment, s.product_category, s.sales_rep_id
           FROM silver_sales_clean s
          WHERE s.customer_id = ch.id AND NOT s.is_deleted AND s.sale_date IN (ch.old_day, ch.new_day)
         OFFSET 0) s`,
    [customerIds],
  );
  return result.rows.map((r) => r.slice);
}

/**
 * Recomputes up to `limit` dirty slices (the newest days first) from silver and clears them; with
 * none left, combinations. Returns how many it recomputed (0: nothing is dirty).
 */
export async function recomputeDirtySlices(tx: Db, limit: number): Promise<number> {
  const slices = await recomputeSlices(tx, limit);
  if (slices.recomputed > 0) return slices.recomputed;
  return (await recomputeCombos(tx, limit)).recomputed;
}

/** One recomputation: how many marks it took, which slices changed, and whether any are left. */
export interface Recomputation {
  /** Dirty marks it took (up to the limit); fewer than the limit: none set before `before` is left. */
  recomputed: number;
  /** The slices (`dim|member|day`) whose values changed — the ones the live room needs again. */
  changed: string[];
  /** Dirty marks left after this one (as the transaction saw them), of any time. */
  remaining: number;
  /** The time marks had to be set by to be taken (the one given, else the transaction's start). */
  before: string;
}

/**
 * `before`: only marks set up to this time are taken; by default the transaction's start, so a
 * caller that goes on until nothing is taken stops once it has recomputed what was dirty when it
 * began (what batches mark meanwhile, they ask for).
 */
const BEFORE = `coalesce($2::timestamptz, now())`;
const ISO = (expr: string) => `to_char((${expr}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** The statement of `recomputeSlices` (below): $1 the chunk size, $2 `before`. */
const RECOMPUTE_SLICES_SQL = `WITH picked AS MATERIALIZED (
       SELECT dim, member, day, marked_at FROM kpi_dirty WHERE marked_at <= ${BEFORE}
        ORDER BY day DESC, dim, member LIMIT $1),
     -- The picked days' sales, read once through the day index, each with whether it falls on its
     -- customer's first day (an index lookup per sale). Joined to \`picked\` directly, the planner
     -- cannot see how few days a CTE holds and scans all of silver (1 s a batch at 5 M sales).
     day_sales AS MATERIALIZED (
       SELECT s.sale_date AS day, s.customer_id, ${SALE_GROSS_SQL} AS amount, s.region, s.customer_segment,
              s.product_category, coalesce(s.sales_rep_id, '') AS sales_rep,
              s.sale_date = (SELECT f.first_day FROM customer_first_sale f WHERE f.customer_id = s.customer_id) AS is_first
         FROM silver_sales_clean s
        WHERE s.sale_date = ANY (ARRAY(SELECT DISTINCT day FROM picked)) AND NOT s.is_deleted),
     -- Each sale under its five slice keys, so slices meet their own sales only.
     sales AS MATERIALIZED (
       SELECT m.dim, m.member, s.day, s.customer_id, s.amount, s.is_first
         FROM day_sales s
        CROSS JOIN LATERAL (VALUES ('all', ''), ('region', s.region), ('segment', s.customer_segment),
                                   ('category', s.product_category), ('sales_rep', s.sales_rep)) AS m(dim, member)),
     -- Only the picked slices' sales are aggregated (a day with one dirty slice does not sort all of
     -- its slices' sales): one hash join on the whole key. Written as \`IN\`, the planner joined on
     -- the day alone and filtered the rest, millions of comparisons a chunk.
     per_slice AS (
       SELECT s.dim, s.member, s.day,
              count(DISTINCT s.customer_id)::int AS unique_customers,
              count(DISTINCT s.customer_id) FILTER (WHERE s.is_first)::int AS new_customers,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY s.amount) AS median,
              percentile_cont(0.9) WITHIN GROUP (ORDER BY s.amount) AS p90
         FROM sales s JOIN picked p ON p.dim::text = s.dim AND p.member::text = s.member AND p.day = s.day
        GROUP BY s.dim, s.member, s.day),
     -- A picked slice left without sales (all deleted or moved away) gets zeros.
     measured AS MATERIALIZED (
       SELECT p.dim, p.member, p.day, p.marked_at, coalesce(m.unique_customers, 0) AS unique_customers,
              coalesce(m.new_customers, 0) AS new_customers, m.median, m.p90
         FROM picked p LEFT JOIN per_slice m ON m.dim = p.dim AND m.member = p.member AND m.day = p.day),
     -- The rows to write, locked once every value is computed (this reads \`measured\`); a row a
     -- batch holds is skipped, never waited for.
     held AS MATERIALIZED (
       SELECT k.dim, k.member, k.day FROM kpi_day_slice k
         JOIN measured m ON k.dim = m.dim AND k.member = m.member AND k.day = m.day
        FOR UPDATE OF k SKIP LOCKED),
     -- Slices whose value is written (or that have no row, so nothing to write).
     settled AS MATERIALIZED (
       SELECT m.dim, m.member, m.day, m.marked_at FROM measured m
        WHERE EXISTS (SELECT 1 FROM held h WHERE h.dim = m.dim AND h.member = m.member AND h.day = m.day)
           OR NOT EXISTS (SELECT 1 FROM kpi_day_slice k WHERE k.dim = m.dim AND k.member = m.member AND k.day = m.day)),
     -- Their marks still as read (the lock re-reads a mark set again since, which then no longer
     -- matches); a mark a batch holds is skipped.
     unchanged AS MATERIALIZED (
       SELECT d.dim, d.member, d.day FROM kpi_dirty d
         JOIN settled s ON d.dim = s.dim AND d.member = s.member AND d.day = s.day
        WHERE d.marked_at = s.marked_at
        FOR UPDATE OF d SKIP LOCKED),
     cleared AS (
       DELETE FROM kpi_dirty d USING unchanged u
        WHERE d.dim = u.dim AND d.member = u.member AND d.day = u.day
       RETURNING 1),
     updated AS (
       UPDATE kpi_day_slice k SET unique_customers = m.unique_customers, new_customers = m.new_customers,
              median_order_value = m.median, p90_order_value = m.p90, updated_at = clock_timestamp()
         FROM measured m, held h
        WHERE k.dim = m.dim AND k.member = m.member AND k.day = m.day
          AND h.dim = m.dim AND h.member = m.member AND h.day = m.day
          -- Unchanged slices keep their time: the live room then has nothing new to send.
          AND (k.unique_customers, k.new_customers, k.median_order_value, k.p90_order_value)
              IS DISTINCT FROM (m.unique_customers, m.new_customers, m.median::numeric, m.p90::numeric)
       RETURNING k.dim || '|' || k.member || '|' || k.day AS slice)
     SELECT (SELECT count(*)::int FROM measured) AS n,
            (SELECT coalesce(array_agg(slice), '{}') FROM updated) AS changed,
            -- The statement's snapshot still holds the cleared rows.
            (SELECT count(*)::int FROM kpi_dirty) - (SELECT count(*)::int FROM cleared) AS remaining,
            ${ISO(BEFORE)} AS before`;

/**
 * Recomputes the non-additive measures (unique and new customers, median and p90 order value) of
 * up to `limit` dirty single-dimension slices, the newest days first, from silver.
 *
 * Set-based: one statement reads the picked days' sales once, keeps only the sales of picked
 * slices and aggregates them per slice, so its cost follows the sales of the slices it takes.
 *
 * It runs beside the batches without making them wait: it reads silver in its statement's
 * snapshot holding no lock, and only once every value is computed does it lock the slice rows and
 * dirty marks it writes — skipping any a batch holds, never waiting (so no deadlock can form). It
 * writes the values it computed into every slice row it locked (they are newer than the stored
 * ones: recomputations take turns), and clears a mark only if that row was written and the mark
 * is still as it read it: a batch that committed a change to the slice since has set its mark
 * again, one in flight holds the mark or the row, and either way the slice stays dirty — read as
 * pending, never as a stale exact figure — until a later recomputation. A batch waits at most for
 * the end of this statement on a row it locked.
 */
export async function recomputeSlices(tx: Db, limit: number, before?: string): Promise<Recomputation> {
  // The plan's estimates cross the JIT threshold, and compiling costs more than running it (README,
  // "Figures behind the code"); LOCAL keeps the setting to this transaction (every caller runs one).
  await write(tx, "SET LOCAL jit = off");
  await lockRecomputation(tx);
  const result = await tx.query<{ n: number; changed: string[]; remaining: number; before: string }>(
    RECOMPUTE_SLICES_SQL,
    [limit, before ?? null],
  );
  const row = result.rows[0]!;
  return {
    recomputed: row.n,
    changed: row.changed,
    remaining: Math.max(0, row.remaining),
    before: row.before,
  };
}

/** A day's absolute totals of the whole business, as sent to the live room. */
export type DayTotals = Additive & {
  day: string;
  /** Null while the day awaits its recomputation. */
  uniqueCustomers: number | null;
  updatedAt: string;
};

type DayRow = Record<string, string> & { day: string; unique_customers: number | null; updated_at: string };

export async function readDailyTotals(db: Db, from: string, to: string): Promise<DayTotals[]> {
  const result = await db.query<DayRow>(
    `SELECT day::text, ${SLICE_COLUMNS.map((c) => `${c}::text`).join(", ")},
            CASE WHEN EXISTS (SELECT 1 FROM kpi_dirty x WHERE x.dim = 'all' AND x.member = '' AND x.day = k.day)
                 THEN NULL ELSE unique_customers END AS unique_customers,
            to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS updated_at
       FROM kpi_day_slice k WHERE dim = 'all' AND member = '' AND day BETWEEN $1::date AND $2::date ORDER BY day`,
    [from, to],
  );
  return result.rows.map((r) => ({
    day: r.day,
    ...(Object.fromEntries(MEASURES.map((m) => [m.field, Number(r[m.name])])) as Additive),
    uniqueCustomers: r.unique_customers,
    updatedAt: r.updated_at,
  }));
}
