/**
 * The KPI API's reads: one named function per query, typed results. SQL for metrics comes from
 * `compile.ts` (through the model); the rest — versions, freshness — is here.
 */
import type { Db } from "../db/client.ts";
import {
  type BreakdownRequest,
  compileBreakdown,
  compileHistoryStart,
  compileSales,
  compileSeries,
  type Path,
  type SalesRequest,
  type SeriesRequest,
  type SqlQuery,
} from "./compile.ts";
import { toCents } from "./money.ts";
import type { Filters } from "./params.ts";
import type { Day } from "./series.ts";

/** How current an answer is: the pipeline's last batch, its lag, and the newest change read. */
export interface Freshness {
  /** When the consumer last committed a batch. */
  last_batch_at: string | null;
  /** How old that batch's oldest event was when it was processed (webhook → database). */
  pipeline_lag_ms: number | null;
  /** The newest change to the rollups the answer depends on. */
  last_change: string | null;
  /**
   * Slices and combinations whose distinct counts and percentiles await recomputation, in the whole
   * pipeline (normally 0).
   */
  pending_recompute: number;
  /**
   * The slices this answer read whose distinct counts, new customers and percentiles are not yet
   * exact (the newest first, at most `MAX_PENDING_LISTED`): the answer has null for those measures
   * there until the recomputation (seconds) — never a stale figure. Empty for answers from silver.
   */
  pending: PendingSlice[];
}

export interface PendingSlice {
  dim: string;
  member: string;
  day: string;
}

export const MAX_PENDING_LISTED = 1_000;

export interface DataVersion {
  /** Changes whenever data the answer depends on changes: part of the ETag and the cache key. */
  key: string;
  freshness: Freshness;
  /** The first day with a live sale in the slice asked about (slice path only). */
  historyStart: string | null;
}

const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

/**
 * The version of everything up to `to`: the newest `updated_at` of the whole-business slice (every
 * live sale, and every correction to one, touches it) and of the slice asked about, with that
 * slice's first day of history — a late sale before it changes the answer's first rows — and the
 * slice's days awaiting recomputation (their measures read null until then, so they are part of
 * the version too). One index range scan per slice: cheap enough to run before every cached read.
 * `slice`: the slice the answer reads (none when it reads silver, which is always exact);
 * `pendingOf`: the slices whose pending days to list instead (every member of a dimension, for a
 * breakdown), from `from` on.
 */
export async function readVersion(
  db: Db,
  to: string,
  slice?: { dim: string; member: string },
  pendingOf: { dim: string; member?: string; from?: string } | undefined = slice,
): Promise<DataVersion> {
  const { dim, member } = slice ?? { dim: "all", member: "" };
  const result = await db.query<VersionRow>(
    `WITH v AS (
       SELECT max(updated_at) AS last_change,
              min(day) FILTER (WHERE orders > 0 AND dim = $2 AND member = $3) AS history_start
         FROM kpi_day_slice
        WHERE day <= $1::date AND ((dim = 'all' AND member = '') OR (dim = $2 AND member = $3)))
     SELECT to_char(v.last_change AT TIME ZONE 'UTC', ${ISO}) AS last_change, v.history_start::text AS history_start,
            to_char(p.last_batch_at AT TIME ZONE 'UTC', ${ISO}) AS last_batch_at, p.last_batch_lag_ms,
            (SELECT count(*)::int FROM (SELECT 1 FROM kpi_dirty LIMIT 10000) AS x)
              + (SELECT count(*)::int FROM (SELECT 1 FROM kpi_combo_dirty LIMIT 10000) AS x) AS pending,
            (SELECT json_agg(json_build_object('dim', d.dim, 'member', d.member, 'day', d.day::text))
               FROM (SELECT dim, member, day FROM kpi_dirty
                      WHERE dim = $4 AND ($5::text IS NULL OR member = $5)
                        AND day BETWEEN coalesce($6::date, '-infinity'::date) AND $1::date
                      ORDER BY day DESC, member LIMIT ${MAX_PENDING_LISTED}) AS d) AS pending_slices
       FROM v LEFT JOIN pipeline_state p ON p.id = 1`,
    [to, dim, member, pendingOf?.dim ?? null, pendingOf?.member ?? null, pendingOf?.from ?? null],
  );
  return versionOf(result.rows[0]!);
}

/** What a version query answers (see `readVersion`; the combinations' has the same columns). */
export interface VersionRow {
  last_change: string | null;
  history_start: string | null;
  last_batch_at: string | null;
  last_batch_lag_ms: number | null;
  pending: number;
  pending_slices: PendingSlice[] | null;
}

/** A data version from its row: the cache key covers the last change, history start and pending days. */
export function versionOf(r: VersionRow): DataVersion {
  const pending = r.pending_slices ?? [];
  return {
    key: `${r.last_change ?? "-"}|${r.history_start ?? "-"}|${pending.map((p) => `${p.member}@${p.day}`).join(",")}`,
    historyStart: r.history_start,
    freshness: {
      last_batch_at: r.last_batch_at,
      pipeline_lag_ms: r.last_batch_lag_ms,
      last_change: r.last_change,
      pending_recompute: r.pending,
      pending,
    },
  };
}

async function run<T extends Record<string, unknown>>(db: Db, q: SqlQuery): Promise<T[]> {
  return (await db.query<T>(q.text, q.params)).rows;
}

/** The first day with a live sale passing several filters (from silver). */
export async function readHistoryStart(db: Db, filters: Filters): Promise<string | null> {
  const [row] = await run<{ start: string | null }>(db, compileHistoryStart(filters));
  return row?.start ?? null;
}

/** Rows of a compiled series: `period`, `label`, and each metric as exact text (or null). */
export type SeriesRow = { period: string; label: string } & Record<string, string | number | null>;

export async function readSeries(db: Db, request: SeriesRequest, path: Path): Promise<SeriesRow[]> {
  return run<SeriesRow>(db, compileSeries(request, path));
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const cents = (v: unknown): number => toCents(String(v ?? "0"));

/** A dense daily series of the day measures (money in cents), in date order. */
export async function readDays(db: Db, request: SeriesRequest, path: Path): Promise<Day[]> {
  const rows = await readSeries(db, { ...request, withFiscal: true }, path);
  return rows.map((r) => ({
    date: r.period,
    fiscalYear: num(r.fiscal_year),
    fiscalQuarter: num(r.fiscal_quarter),
    orders: Number(r.orders),
    uniqueCustomers: num(r.unique_customers),
    quantity: Number(r.quantity),
    revenue: cents(r.revenue),
    netRevenue: cents(r.net_revenue),
    costs: cents(r.cost_of_goods),
    median: num(r.median_order_value),
    p90: num(r.p90_order_value),
  }));
}

export interface BreakdownRow {
  member: string;
  label: string | null;
  value: number | null;
  share_pct: number | null;
}

export async function readBreakdown(
  db: Db,
  request: BreakdownRequest,
  path: Path,
): Promise<{ rows: BreakdownRow[]; total: number | null }> {
  const rows = await run<{
    member: string;
    label: string | null;
    value: string | null;
    share_pct: string | null;
    total: number;
  }>(db, compileBreakdown(request, path));
  return {
    rows: rows.map((r) => ({
      member: r.member,
      label: r.label,
      value: num(r.value),
      share_pct: num(r.share_pct),
    })),
    // A page past the end has no row to carry the count.
    total: rows[0]?.total ?? (request.offset > 0 ? null : 0),
  };
}

export type SaleRow = Record<string, string | number | null>;

export async function readSales(
  db: Db,
  request: SalesRequest,
): Promise<{ rows: SaleRow[]; total: number | null }> {
  const rows = await run<SaleRow & { total?: number }>(db, compileSales(request));
  const total = request.withTotal ? (rows[0]?.total ?? null) : null;
  return {
    rows: rows.map(({ total: _, ...r }) => r),
    total,
  };
}
