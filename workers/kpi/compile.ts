/**
 * Compiles requests into SQL through the semantic model (pure: text + parameters, no I/O).
 *
 * SQL text is assembled only from the model's own fragments; everything a request brings (dates,
 * members, the timezone, limits) travels as a bound parameter.
 *
 * The path: the pipeline's daily slices when they can answer (a calendar grain, at most one filter
 * on a sliced dimension, every metric readable from slices at that grain), its daily combinations
 * when several of region, segment and category filter at once (same conditions), live sales in
 * silver otherwise. All produce the same columns.
 */

import { DIMENSIONS, type Dimension, dimension, type Grain, type Metric, SALE_AMOUNTS } from "./model.ts";
import type { Filters, Range } from "./params.ts";

export interface SqlQuery {
  text: string;
  params: unknown[];
}

/**
 * `combo`: rows of `kpi_day_combo` of one combination (`dims`), with `members` fixing some or all
 * of its dimensions (a breakdown leaves its `by` dimension open).
 */
export type Path =
  | { kind: "slice"; dim: string; member: string }
  | { kind: "combo"; dims: string; members: Partial<Record<ComboDim, string>> }
  | { kind: "silver" };

/** The dimensions `kpi_day_combo` combines (its columns), in the model's order. */
export const COMBO_DIMS = ["region", "segment", "category"] as const;
export type ComboDim = (typeof COMBO_DIMS)[number];
const isComboDim = (name: string): name is ComboDim => (COMBO_DIMS as readonly string[]).includes(name);

/**
 * The combination holding `filters` and `extra` (a breakdown's dimension), or undefined when it is
 * not two or three of region, segment and category.
 */
export function comboOf(filters: Filters, extra?: string): Extract<Path, { kind: "combo" }> | undefined {
  const names = [...filters.map(([name]) => name), ...(extra ? [extra] : [])];
  if (names.length < 2 || !names.every(isComboDim) || new Set(names).size !== names.length) return undefined;
  const members: Partial<Record<ComboDim, string>> = {};
  for (const [name, member] of filters) members[name as ComboDim] = member;
  return { kind: "combo", dims: COMBO_DIMS.filter((d) => names.includes(d)).join("+"), members };
}

/** Collects bound parameters: `p(value)` returns its placeholder. */
class Binder {
  readonly params: unknown[] = [];
  p(value: unknown, cast = ""): string {
    this.params.push(value);
    return `$${this.params.length}${cast}`;
  }
}

/** The slice one filter (or none) reads, or undefined when slices cannot serve these filters. */
function sliceOf(filters: Filters): { dim: string; member: string } | undefined {
  if (filters.length === 0) return { dim: "all", member: "" };
  if (filters.length > 1) return undefined;
  const [name, member] = filters[0]!;
  const dim = dimension(name).slice;
  return dim ? { dim, member } : undefined;
}

export function choosePath(metrics: Metric[], grain: Grain, filters: Filters): Path {
  const slice = sliceOf(filters);
  const combo = slice ? undefined : comboOf(filters);
  if ((!slice && !combo) || grain.kind === "clock") return { kind: "silver" };
  const readable = metrics.every((m) => m.slice && (!m.slice.dayOnly || grain.name === "day"));
  if (!readable) return { kind: "silver" };
  return slice ? { kind: "slice", ...slice } : combo!;
}

/** `WHERE` conditions selecting the live sales of `range` that pass `filters`. */
function silverConditions(b: Binder, filters: Filters, range?: Range): string {
  const conditions = ["NOT s.is_deleted"];
  if (range)
    conditions.push(`s.sale_date BETWEEN ${b.p(range.from, "::date")} AND ${b.p(range.to, "::date")}`);
  for (const [name, member] of filters) conditions.push(`${dimension(name).silver} = ${b.p(member)}`);
  return conditions.join(" AND ");
}

function silverFrom(metrics: Metric[]): string {
  const firstSale = metrics.some((m) => m.needsFirstSale)
    ? " LEFT JOIN customer_first_sale f ON f.customer_id = s.customer_id"
    : "";
  return `silver_sales_clean s${firstSale}`;
}

/**
 * A metric's aggregate over slices: a recomputed measure reads null for a bucket with any slice
 * still awaiting its recomputation (`x`, the slice's `kpi_dirty` row) — never a stale figure.
 */
function sliceAggregate(m: Metric): string {
  const sql = m.slice!.sql;
  return m.slice!.recomputed ? `CASE WHEN bool_or(x.day IS NOT NULL) THEN NULL ELSE ${sql} END` : sql;
}

/** Whether a slice read needs the slices' pending marks joined (as `x`). */
const needsPending = (metrics: Metric[]) => metrics.some((m) => m.slice?.recomputed);
const PENDING_JOIN = "LEFT JOIN kpi_dirty x ON x.dim = k.dim AND x.member = k.member AND x.day = k.day";
const COMBO_PENDING_JOIN = `LEFT JOIN kpi_combo_dirty x ON x.dims = k.dims AND x.region = k.region
  AND x.segment = k.segment AND x.category = k.category AND x.day = k.day`;

/** `kpi_day_combo k` rows of a combination path: its name and the members it fixes. */
function comboConditions(b: Binder, path: Extract<Path, { kind: "combo" }>): string {
  const conditions = [`k.dims = ${b.p(path.dims)}`];
  for (const dim of COMBO_DIMS) {
    const member = path.members[dim];
    if (member !== undefined) conditions.push(`k.${dim} = ${b.p(member)}`);
  }
  return conditions.join(" AND ");
}

const aggregates = (metrics: Metric[], path: Path) =>
  metrics.map((m) => `${path.kind === "silver" ? m.silver : sliceAggregate(m)} AS ${m.name}`).join(", ");

/**
 * A metric column as text (exact numerics), with the model's value for an empty bucket (one
 * without a data row: a null in a data row is a pending value and stays null).
 */
const output = (metrics: Metric[]) =>
  metrics
    .map((m) =>
      m.empty === 0
        ? `(CASE WHEN d.period IS NULL THEN 0 ELSE d.${m.name} END)::text AS ${m.name}`
        : `d.${m.name}::text AS ${m.name}`,
    )
    .join(", ");

export interface SeriesRequest {
  metrics: Metric[];
  grain: Grain;
  filters: Filters;
  range: Range;
  timeZone: string;
  /** Adds the fiscal year and quarter of each bucket (from `dim_time`). */
  withFiscal?: boolean;
}

/**
 * One row per bucket of the range — dense: buckets without sales hold the model's empty values —
 * with `period` (the bucket's first day, or local wall-clock time for clock grains), `label` and
 * one text column per metric.
 */
export function compileSeries(request: SeriesRequest, path: Path): SqlQuery {
  const { metrics, grain, filters, range } = request;
  const b = new Binder();
  if (grain.kind === "clock") {
    const step = `interval '1 ${grain.period}'`;
    const from = b.p(range.from, "::date");
    const to = b.p(range.to, "::date");
    const text = `
      WITH buckets AS (
        SELECT g AS period FROM generate_series(${from}::timestamp, (${to} + 1)::timestamp - ${step}, ${step}) AS g),
      data AS (
        SELECT date_trunc('${grain.period}', s.sale_timestamp AT TIME ZONE ${b.p(request.timeZone)}) AS period,
               ${aggregates(metrics, path)}
          FROM ${silverFrom(metrics)}
         WHERE ${silverConditions(b, filters, range)}
         GROUP BY 1)
      SELECT to_char(bk.period, '${grain.periodLabel}') AS period, to_char(bk.period, '${grain.periodLabel}') AS label,
             ${output(metrics)}
        FROM buckets bk LEFT JOIN data d ON d.period = bk.period
       ORDER BY bk.period`;
    return { text, params: b.params };
  }
  const from = b.p(range.from, "::date");
  const to = b.p(range.to, "::date");
  // The whole range is one bucket starting at `from`: silver rows need no calendar join (which made
  // Postgres sort every row of the range by its bucket before a distinct count or a percentile
  // sorted them again). No row without sales, as with the join.
  const wholeRange = path.kind === "silver" && grain.name === "range";
  const source = () =>
    path.kind === "slice"
      ? `kpi_day_slice k JOIN periods p ON p.date = k.day ${needsPending(metrics) ? PENDING_JOIN : ""}
         WHERE k.dim = ${b.p(path.dim)} AND k.member = ${b.p(path.member)} AND k.day BETWEEN ${from} AND ${to}`
      : path.kind === "combo"
        ? `kpi_day_combo k JOIN periods p ON p.date = k.day ${needsPending(metrics) ? COMBO_PENDING_JOIN : ""}
         WHERE ${comboConditions(b, path)} AND k.day BETWEEN ${from} AND ${to}`
        : `${silverFrom(metrics)} JOIN periods p ON p.date = s.sale_date WHERE ${silverConditions(b, filters, range)}`;
  const data = wholeRange
    ? `SELECT ${from} AS period, ${aggregates(metrics, path)} FROM ${silverFrom(metrics)}
        WHERE ${silverConditions(b, filters, range)} HAVING count(*) > 0`
    : `SELECT p.period, ${aggregates(metrics, path)} FROM ${source()} GROUP BY p.period`;
  const text = `
    WITH cal AS (
      SELECT d::date AS date, t.fiscal_year, t.fiscal_quarter
        FROM generate_series((${from} - ${grain.lookbackDays})::timestamp, ${to}::timestamp, interval '1 day') AS d
        -- The range bound lets Postgres read only these days of dim_time through its index.
        LEFT JOIN dim_time t ON t.date = d::date AND t.date BETWEEN ${from} - ${grain.lookbackDays} AND ${to}),
    periods AS (
      SELECT c.date, ${grain.period} AS period, ${grain.periodLabel} AS label, c.fiscal_year, c.fiscal_quarter FROM cal c),
    buckets AS (
      SELECT period, min(label) AS label, min(fiscal_year) AS fiscal_year, min(fiscal_quarter) AS fiscal_quarter
        FROM periods WHERE date >= ${from} GROUP BY period),
    data AS (${data})
    SELECT to_char(bk.period, 'YYYY-MM-DD') AS period, bk.label,
           ${request.withFiscal ? "bk.fiscal_year, bk.fiscal_quarter," : ""} ${output(metrics)}
      FROM buckets bk LEFT JOIN data d ON d.period = bk.period
     ORDER BY bk.period`;
  return { text, params: b.params };
}

/** The first day with a live sale passing `filters` (silver path; slices answer it in the version lookup). */
export function compileHistoryStart(filters: Filters): SqlQuery {
  const b = new Binder();
  return {
    text: `SELECT min(s.sale_date)::text AS start FROM silver_sales_clean s WHERE ${silverConditions(b, filters)}`,
    params: b.params,
  };
}

export interface BreakdownRequest {
  metric: Metric;
  by: Dimension;
  filters: Filters;
  range: Range;
  sort: "value" | "member";
  order: "asc" | "desc";
  limit: number;
  offset: number;
}

export function breakdownPath(r: Pick<BreakdownRequest, "metric" | "by" | "filters" | "range">): Path {
  const single = r.range.from === r.range.to;
  const readable = r.metric.slice && (!r.metric.slice.dayOnly || single);
  if (!readable) return { kind: "silver" };
  if (r.filters.length === 0 && r.by.slice) return { kind: "slice", dim: r.by.slice, member: "" };
  // A drill-down (region → segment) or a filtered breakdown: the combination of filters and `by`.
  return comboOf(r.filters, r.by.name) ?? { kind: "silver" };
}

/**
 * Members of `by` with their value of `metric` over the range (only members with live sales), a
 * page of them in the requested order, with the number of members and — for additive metrics —
 * each member's share of the total.
 */
export function compileBreakdown(r: BreakdownRequest, path: Path): SqlQuery {
  const b = new Binder();
  const members =
    path.kind === "slice"
      ? `SELECT k.member, ${sliceAggregate(r.metric)} AS value FROM kpi_day_slice k
          ${needsPending([r.metric]) ? PENDING_JOIN : ""} WHERE k.dim = ${b.p(path.dim)} AND k.day BETWEEN ${b.p(r.range.from, "::date")} AND ${b.p(r.range.to, "::date")}
          GROUP BY k.member HAVING sum(k.orders) > 0`
      : path.kind === "combo"
        ? `SELECT k.${r.by.name as ComboDim}::text AS member, ${sliceAggregate(r.metric)} AS value FROM kpi_day_combo k
          ${needsPending([r.metric]) ? COMBO_PENDING_JOIN : ""} WHERE ${comboConditions(b, path)}
            AND k.day BETWEEN ${b.p(r.range.from, "::date")} AND ${b.p(r.range.to, "::date")}
          GROUP BY 1 HAVING sum(k.orders) > 0`
        : `SELECT ${r.by.silver} AS member, ${r.metric.silver} AS value FROM ${silverFrom([r.metric])}
          WHERE ${silverConditions(b, r.filters, r.range)} GROUP BY 1`;
  const label = r.by.labelSql ? r.by.labelSql("m.member") : "m.member";
  const share = r.metric.additive ? "(m.value / nullif(sum(m.value) OVER (), 0) * 100)::text" : "NULL::text";
  const key = r.sort === "value" ? "m.value" : "m.member";
  const dir = r.order === "asc" ? "ASC" : "DESC";
  const text = `
    WITH m AS (${members})
    SELECT m.member, ${label} AS label, m.value::text AS value, ${share} AS share_pct, count(*) OVER ()::int AS total
      FROM m ORDER BY ${key} ${dir} NULLS LAST, m.member ${dir}
     LIMIT ${b.p(r.limit)} OFFSET ${b.p(r.offset)}`;
  return { text, params: b.params };
}

/** The columns of the underlying sales (the last level of a drill-down), and what they may be sorted by. */
export const SALE_COLUMNS = [
  ["sale_id", "s.sale_id"],
  ["sale_timestamp", `to_char(s.sale_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`],
  ["sale_date", "s.sale_date::text"],
  ["customer_id", "s.customer_id"],
  ["segment", DIMENSIONS.get("segment")!.silver],
  ["product_id", "s.product_id"],
  ["product_name", "(SELECT p.product_name FROM dim_product p WHERE p.product_id = s.product_id)"],
  ["category", DIMENSIONS.get("category")!.silver],
  ["region", DIMENSIONS.get("region")!.silver],
  ["sales_rep", "s.sales_rep_id"],
  ["quantity", "s.quantity"],
  ["unit_price", "s.unit_price::text"],
  ["discount", "s.discount::text"],
  ["unit_cost", "s.unit_cost::text"],
  ["revenue", `(${SALE_AMOUNTS.revenue})::text`],
  ["net_revenue", `(${SALE_AMOUNTS.net_revenue})::text`],
  ["cost_of_goods", `(${SALE_AMOUNTS.cost_of_goods})::text`],
] as const;

export const SALE_SORTS = {
  sale_timestamp: "s.sale_timestamp",
  revenue: SALE_AMOUNTS.revenue,
  net_revenue: SALE_AMOUNTS.net_revenue,
  quantity: "s.quantity",
  sale_id: "s.sale_id",
} as const;
export type SaleSort = keyof typeof SALE_SORTS;

export interface SalesRequest {
  filters: Filters;
  range: Range;
  sort: SaleSort;
  order: "asc" | "desc";
  limit: number;
  offset: number;
  /** Also count every matching sale (the first page of a listing needs it; an export does not). */
  withTotal: boolean;
}

export function compileSales(r: SalesRequest): SqlQuery {
  const b = new Binder();
  const dir = r.order === "asc" ? "ASC" : "DESC";
  const columns = SALE_COLUMNS.map(([name, sql]) => `${sql} AS ${name}`).join(", ");
  const text = `
    SELECT ${columns}${r.withTotal ? ", count(*) OVER ()::int AS total" : ""}
      FROM silver_sales_clean s WHERE ${silverConditions(b, r.filters, r.range)}
     ORDER BY ${SALE_SORTS[r.sort]} ${dir}, s.sale_id ${dir}
     LIMIT ${b.p(r.limit)} OFFSET ${b.p(r.offset)}`;
  return { text, params: b.params };
}
