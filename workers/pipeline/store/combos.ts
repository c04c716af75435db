/**
 * Daily KPIs per combination of region, segment and category (`kpi_day_combo`), so a query with
 * several of those filters at once reads one row a day instead of the live sales. Kept exactly
 * like the single-dimension slices: each batch adds its differences to the additive measures and
 * marks the combinations it touched (`kpi_combo_dirty`); distinct counts, new customers and
 * percentiles of marked combinations are recomputed from silver, after every single-dimension
 * slice (those are what the live dashboards show).
 */
import type { Db } from "../../db/client.ts";
import { write } from "../../db/statements.ts";
import { ADDITIVE_MEASURES, contributionOf, zeroAdditive } from "../../kpi/measures.ts";
import type { Measures, SaleState } from "../sale-rules.ts";
import { lockRecomputation } from "./locks.ts";
import {
  ALIASES,
  added,
  arrays,
  columns,
  SLICE_COLUMNS,
  STORED_VALUES,
  withoutZeros,
} from "./measure-sql.ts";

/** The combinations kept, by name, with the dimensions each holds. */
export const COMBOS = {
  "region+segment": ["region", "segment"],
  "region+category": ["region", "category"],
  "segment+category": ["segment", "category"],
  "region+segment+category": ["region", "segment", "category"],
} as const;
export type ComboName = keyof typeof COMBOS;
export type ComboDim = "region" | "segment" | "category";

/** A combination's members; the dimensions outside it are ''. */
export interface ComboKey {
  dims: ComboName;
  region: string;
  segment: string;
  category: string;
  day: string;
}

// Members are free text: a separator no member holds keeps keys unambiguous.
const SEP = "\u001f";
const keyOf = (k: ComboKey) => [k.dims, k.region, k.segment, k.category, k.day].join(SEP);
function parseKey(key: string): ComboKey {
  const [dims, region, segment, category, day] = key.split(SEP) as [
    ComboName,
    string,
    string,
    string,
    string,
  ];
  return { dims, region, segment, category, day };
}

/** Every combination a sale on `day` with these members counts in. */
function combosOf(region: string, segment: string, category: string, day: string): ComboKey[] {
  return (Object.keys(COMBOS) as ComboName[]).map((dims) => {
    const held = new Set<string>(COMBOS[dims]);
    return {
      dims,
      region: held.has("region") ? region : "",
      segment: held.has("segment") ? segment : "",
      category: held.has("category") ? category : "",
      day,
    };
  });
}

/** Per combination (by key), what the batch changed: each old state out, each new state in. */
export function comboDeltas(
  before: ReadonlyMap<string, SaleState>,
  after: readonly SaleState[],
): Map<string, Measures> {
  const deltas = new Map<string, Measures>();
  const add = (sale: SaleState | undefined, sign: 1 | -1) => {
    if (!sale || sale.isDeleted || !sale.derived) return;
    const d = sale.derived;
    const m = contributionOf(sale) as Record<string, number>;
    for (const combo of combosOf(sale.region ?? "", d.segment, d.category, d.saleDate)) {
      const key = keyOf(combo);
      const c = (deltas.get(key) ?? zeroAdditive()) as Record<string, number>;
      for (const { field } of ADDITIVE_MEASURES) c[field] = (c[field] ?? 0) + sign * m[field]!;
      deltas.set(key, c as Measures);
    }
  };
  for (const sale of after) {
    add(before.get(sale.saleId), -1);
    add(sale, 1);
  }
  return deltas;
}

/**
 * The combinations whose "new customers" may have changed, from the single-dimension slices
 * (`dim|member|day`) whose count did: every combination of those members on each day. A superset
 * (a recomputation too many changes nothing), found without another look at silver.
 */
export function combosOfSlices(slices: readonly string[]): string[] {
  const days = new Map<string, { region: Set<string>; segment: Set<string>; category: Set<string> }>();
  for (const slice of slices) {
    const [dim, member, day] = slice.split("|") as [string, string, string];
    if (dim !== "region" && dim !== "segment" && dim !== "category") continue;
    const members = days.get(day) ?? { region: new Set(), segment: new Set(), category: new Set() };
    members[dim].add(member);
    days.set(day, members);
  }
  const keys = new Set<string>();
  for (const [day, m] of days)
    for (const region of m.region)
      for (const segment of m.segment)
        for (const category of m.category)
          for (const combo of combosOf(region, segment, category, day)) keys.add(keyOf(combo));
  return [...keys];
}

/**
 * Adds combination deltas (all-zero ones write nothing) and marks every touched combination, and
 * `alsoDirty`, for recomputation (a mark already there is set again, as for the slices), in one
 * statement. Call it holding the slice lock (`lockSlices`), as the slices do.
 */
export async function applyComboDeltas(
  tx: Db,
  deltas: ReadonlyMap<string, Measures>,
  alsoDirty: readonly string[] = [],
): Promise<void> {
  const dirty = [...new Set([...deltas.keys(), ...alsoDirty])].sort().map(parseKey);
  if (dirty.length === 0) return;
  const c = columns(withoutZeros(new Map(deltas)));
  const keys = c.keys.map(parseKey);
  const first = 6 + ADDITIVE_MEASURES.length;
  await write(
    tx,
    `WITH combos AS (
       INSERT INTO kpi_day_combo AS k (dims, region, segment, category, day, ${SLICE_COLUMNS.join(", ")}, updated_at)
       SELECT d, r, s, c, day, ${STORED_VALUES}, clock_timestamp()
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::date[], ${arrays(6)})
           AS x(d, r, s, c, day, ${ALIASES.join(", ")})
       ON CONFLICT (dims, region, segment, category, day) DO UPDATE SET
         ${added("k", SLICE_COLUMNS)}, updated_at = clock_timestamp()
       RETURNING 1)
     INSERT INTO kpi_combo_dirty (dims, region, segment, category, day)
     SELECT * FROM unnest($${first}::text[], $${first + 1}::text[], $${first + 2}::text[], $${first + 3}::text[],
                          $${first + 4}::date[])
     ON CONFLICT (dims, region, segment, category, day) DO UPDATE SET marked_at = clock_timestamp()`,
    [
      keys.map((k) => k.dims),
      keys.map((k) => k.region),
      keys.map((k) => k.segment),
      keys.map((k) => k.category),
      keys.map((k) => k.day),
      ...c.values,
      dirty.map((k) => k.dims),
      dirty.map((k) => k.region),
      dirty.map((k) => k.segment),
      dirty.map((k) => k.category),
      dirty.map((k) => k.day),
    ],
  );
}

/** The statement of `recomputeCombos` (below): $1 the chunk size, $2 `before`. */
const RECOMPUTE_COMBOS_SQL = `WITH picked AS MATERIALIZED (
       SELECT dims, region, segment, category, day, marked_at FROM kpi_combo_dirty
        WHERE marked_at <= coalesce($2::timestamptz, now())
        ORDER BY day DESC, dims, region, segment, category LIMIT $1),
     day_sales AS MATERIALIZED (
       SELECT s.sale_date AS day, s.customer_id, s.quantity * s.unit_price AS amount, s.region, s.customer_segment,
              s.product_category,
              s.sale_date = (SELECT f.first_day FROM customer_first_sale f WHERE f.customer_id = s.customer_id) AS is_first
         FROM silver_sales_clean s
        WHERE s.sale_date = ANY (ARRAY(SELECT DISTINCT day FROM picked)) AND NOT s.is_deleted),
     sales AS MATERIALIZED (
       SELECT m.dims, m.region, m.segment, m.category, s.day, s.customer_id, s.amount, s.is_first
         FROM day_sales s
        CROSS JOIN LATERAL (VALUES ('region+segment', s.region, s.customer_segment, ''),
                                   ('region+category', s.region, '', s.product_category),
                                   ('segment+category', '', s.customer_segment, s.product_category),
                                   ('region+segment+category', s.region, s.customer_segment, s.product_category))
              AS m(dims, region, segment, category)),
     per_combo AS (
       SELECT s.dims, s.region, s.segment, s.category, s.day,
              count(DISTINCT s.customer_id)::int AS unique_customers,
              count(DISTINCT s.customer_id) FILTER (WHERE s.is_first)::int AS new_customers,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY s.amount) AS median,
              percentile_cont(0.9) WITHIN GROUP (ORDER BY s.amount) AS p90
         FROM sales s JOIN picked p ON p.dims::text = s.dims AND p.region::text = s.region
          AND p.segment::text = s.segment AND p.category::text = s.category AND p.day = s.day
        GROUP BY s.dims, s.region, s.segment, s.category, s.day),
     measured AS MATERIALIZED (
       SELECT p.dims, p.region, p.segment, p.category, p.day, p.marked_at,
              coalesce(m.unique_customers, 0) AS unique_customers,
              coalesce(m.new_customers, 0) AS new_customers, m.median, m.p90
         FROM picked p LEFT JOIN per_combo m ON m.dims = p.dims AND m.region = p.region AND m.segment = p.segment
          AND m.category = p.category AND m.day = p.day),
     held AS MATERIALIZED (
       SELECT k.dims, k.region, k.segment, k.category, k.day FROM kpi_day_combo k
         JOIN measured m ON k.dims = m.dims AND k.region = m.region AND k.segment = m.segment
          AND k.category = m.category AND k.day = m.day
        FOR UPDATE OF k SKIP LOCKED),
     settled AS MATERIALIZED (
       SELECT m.dims, m.region, m.segment, m.category, m.day, m.marked_at FROM measured m
        WHERE EXISTS (SELECT 1 FROM held h WHERE h.dims = m.dims AND h.region = m.region
                         AND h.segment = m.segment AND h.category = m.category AND h.day = m.day)
           OR NOT EXISTS (SELECT 1 FROM kpi_day_combo k WHERE k.dims = m.dims AND k.region = m.region
                             AND k.segment = m.segment AND k.category = m.category AND k.day = m.day)),
     unchanged AS MATERIALIZED (
       SELECT d.dims, d.region, d.segment, d.category, d.day FROM kpi_combo_dirty d
         JOIN settled s ON d.dims = s.dims AND d.region = s.region AND d.segment = s.segment
          AND d.category = s.category AND d.day = s.day
        WHERE d.marked_at = s.marked_at
        FOR UPDATE OF d SKIP LOCKED),
     cleared AS (
       DELETE FROM kpi_combo_dirty d USING unchanged u
        WHERE d.dims = u.dims AND d.region = u.region AND d.segment = u.segment AND d.category = u.category
          AND d.day = u.day
       RETURNING 1),
     updated AS (
       UPDATE kpi_day_combo k SET unique_customers = m.unique_customers, new_customers = m.new_customers,
              median_order_value = m.median, p90_order_value = m.p90, updated_at = clock_timestamp()
         FROM measured m, held h
        WHERE k.dims = m.dims AND k.region = m.region AND k.segment = m.segment AND k.category = m.category
          AND k.day = m.day
          AND h.dims = m.dims AND h.region = m.region AND h.segment = m.segment AND h.category = m.category
          AND h.day = m.day
          AND (k.unique_customers, k.new_customers, k.median_order_value, k.p90_order_value)
              IS DISTINCT FROM (m.unique_customers, m.new_customers, m.median::numeric, m.p90::numeric)
       RETURNING 1)
     SELECT (SELECT count(*)::int FROM measured) AS n,
            -- Counted up to a bound past the chunk (the snapshot still holds the cleared rows): enough
            -- to say how many are left without counting a whole backlog every chunk.
            (SELECT count(*)::int FROM (SELECT 1 FROM kpi_combo_dirty LIMIT $1 + 10000) AS x)
              - (SELECT count(*)::int FROM cleared) AS remaining`;

/**
 * Recomputes the non-additive measures of up to `limit` marked combinations (the newest days
 * first, marked up to `before`, by default the transaction's start) from silver, like
 * `recomputeSlices` does for single dimensions and with the same discipline towards batches (no
 * lock while reading silver, rows and marks a batch holds skipped, a mark cleared only as read):
 * the picked days' sales read once through the day index, each under its four combinations,
 * aggregated only for the picked ones. Returns how many it took and how many are left.
 */
export async function recomputeCombos(
  tx: Db,
  limit: number,
  before?: string,
): Promise<{ recomputed: number; remaining: number }> {
  await write(tx, "SET LOCAL jit = off");
  await lockRecomputation(tx);
  const result = await tx.query<{ n: number; remaining: number }>(RECOMPUTE_COMBOS_SQL, [
    limit,
    before ?? null,
  ]);
  const row = result.rows[0];
  return { recomputed: row?.n ?? 0, remaining: Math.max(0, row?.remaining ?? 0) };
}
