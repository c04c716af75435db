/**
 * `/kpis/daily` (the seed's `mv_daily_sales_kpi` plus `orders`) and `/kpis/advanced` (the seed's
 * `calculate_advanced_kpis`), with the issue's exact semantics: a dense calendar from the first day
 * with a live sale (for the filter asked) to `to`, windows over all history, then cut to the range.
 *
 * Loading: the day measures come through the model at the day grain — from the filter's slice, the
 * filters' combination (several of region, segment, category), or silver for the other filters
 * combined — starting 30 days before `from` (the longest look-back)
 * or at the start of history, whichever is later; the window maths is `series.ts`.
 */
import type { Db } from "../../db/client.ts";
import { addDays } from "../calendar.ts";
import { readComboVersion } from "../combos.ts";
import { choosePath, type Path } from "../compile.ts";
import { DAY_MEASURES, FILTER_NAMES, GRAINS, metric } from "../model.ts";
import { type Filters, known, type Params, parseFilters, parseRange, type Range } from "../params.ts";
import { type AdvancedRow, advancedKpis, type DailyRow, type Day, dailyKpis } from "../series.ts";
import { type DataVersion, readDays, readHistoryStart, readVersion } from "../store.ts";
import { type Column, col, columnar } from "../table.ts";
import { filterObject, type Report, type ReportContext } from "./report.ts";

/** Ten years of days per request. */
export const MAX_DAILY_DAYS = 3_660;
/** The longest look-back of any column (month over month: d − 30). */
const LOOKBACK_DAYS = 30;

const dayGrain = GRAINS.get("day")!;
const measures = DAY_MEASURES.map(metric);

export interface DailyRequest {
  range: Range;
  filters: Filters;
  path: Path;
}

function parse(query: Params, ctx: ReportContext): DailyRequest {
  known(query, ["from", "to", ...FILTER_NAMES]);
  const filters = parseFilters(query);
  return {
    range: parseRange(query, ctx.today, MAX_DAILY_DAYS),
    filters,
    path: choosePath(measures, dayGrain, filters),
  };
}

async function version(db: Db, r: DailyRequest): Promise<DataVersion> {
  if (r.path.kind === "combo") return readComboVersion(db, r.range.to, r.path, true);
  return readVersion(db, r.range.to, r.path.kind === "slice" ? r.path : undefined);
}

/** The dense daily series the windows need, and the first day of history (null: no sales yet). */
async function loadSeries(
  db: Db,
  r: DailyRequest,
  v: DataVersion,
  ctx: ReportContext,
): Promise<{ days: Day[]; start: string | null }> {
  const start = r.path.kind === "silver" ? await readHistoryStart(db, r.filters) : v.historyStart;
  if (start === null || start > r.range.to) return { days: [], start };
  const lookback = addDays(r.range.from, -LOOKBACK_DAYS);
  // ISO dates order as strings.
  const from = start.localeCompare(lookback) > 0 ? start : lookback;
  const days = await readDays(
    db,
    {
      metrics: measures,
      grain: dayGrain,
      filters: r.filters,
      range: { from, to: r.range.to },
      timeZone: ctx.timeZone,
    },
    r.path,
  );
  return { days, start };
}

function meta(r: DailyRequest, start: string | null, ctx: ReportContext) {
  return {
    from: r.range.from,
    to: r.range.to,
    filters: filterObject(r.filters),
    history_start: start,
    currency: ctx.currency,
    timezone: ctx.timeZone,
    source: r.path.kind,
  };
}

export const DAILY_COLUMNS: Column[] = [
  col("date", "date"),
  col("fiscal_year", "integer"),
  col("fiscal_quarter", "integer"),
  col("orders", "integer", "count"),
  col("unique_customers", "integer", "count"),
  col("total_quantity", "integer", "count"),
  col("total_revenue", "number", "currency"),
  col("net_revenue", "number", "currency"),
  col("total_costs", "number", "currency"),
  col("avg_order_value", "number", "currency"),
  col("median_order_value", "number", "currency"),
  col("p90_order_value", "number", "currency"),
  col("prev_day_revenue", "number", "currency"),
  col("same_day_last_week", "number", "currency"),
  col("seven_day_avg_revenue", "number", "currency"),
  col("daily_growth_pct", "number", "percent"),
  col("wow_growth_pct", "number", "percent"),
  col("volatility_flag", "string"),
  col("performance_flag", "string"),
];

export const ADVANCED_COLUMNS: Column[] = [
  col("date", "date"),
  col("total_revenue", "number", "currency"),
  col("unique_customers", "integer", "count"),
  col("avg_order_value", "number", "currency"),
  col("day_over_day_pct", "number", "percent"),
  col("week_over_week_pct", "number", "percent"),
  col("month_over_month_pct", "number", "percent"),
  col("rolling_30d_avg", "number", "currency"),
  col("rolling_30d_stddev", "number", "currency"),
  col("is_anomaly", "boolean"),
  col("z_score", "number"),
  col("trend_direction", "string"),
  col("revenue_decile", "integer"),
];

export const dailyReport: Report<DailyRequest> = {
  name: "daily",
  params: ["from", "to", ...FILTER_NAMES],
  parse,
  version,
  async run(db, r, v, ctx) {
    const { days, start } = await loadSeries(db, r, v, ctx);
    const rows: DailyRow[] = dailyKpis(days, r.range.from);
    return columnar(DAILY_COLUMNS, rows, meta(r, start, ctx));
  },
};

export const advancedReport: Report<DailyRequest> = {
  name: "advanced",
  params: ["from", "to", ...FILTER_NAMES],
  parse,
  version,
  async run(db, r, v, ctx) {
    const { days, start } = await loadSeries(db, r, v, ctx);
    const rows: AdvancedRow[] = advancedKpis(days, r.range.from);
    return columnar(ADVANCED_COLUMNS, rows, meta(r, start, ctx));
  },
};
