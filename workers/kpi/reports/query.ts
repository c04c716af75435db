/**
 * `GET /api/v1/query?metrics=revenue,orders&grain=month&from=…&to=…[&filters][&compare=…]` — any
 * metrics of the model at one grain, one dense row per bucket. With `compare`, the same query over
 * the previous period (the same number of days just before) or the previous year, aligned bucket by
 * bucket, with each metric's value there and its change in percent.
 */
import type { Db } from "../../db/client.ts";
import { addDays, addYears, daysBetween } from "../calendar.ts";
import { readComboVersion } from "../combos.ts";
import { choosePath, type Path } from "../compile.ts";
import { FILTER_NAMES, type Grain, type Metric } from "../model.ts";
import {
  type Compare,
  type Filters,
  known,
  type Params,
  parseCompare,
  parseFilters,
  parseGrain,
  parseMetrics,
  parseRange,
  type Range,
} from "../params.ts";
import { growthPct } from "../series.ts";
import { readSeries, readVersion, type SeriesRow } from "../store.ts";
import { type Column, col, columnar } from "../table.ts";
import { filterObject, type Report, type ReportContext } from "./report.ts";

export interface QueryRequest {
  metrics: Metric[];
  grain: Grain;
  range: Range;
  filters: Filters;
  compare: Compare | undefined;
  compareRange: Range | undefined;
  path: Path;
}

export function comparisonRange(range: Range, compare: Compare): Range {
  if (compare === "previous_year") return { from: addYears(range.from, -1), to: addYears(range.to, -1) };
  const days = daysBetween(range.from, range.to) + 1;
  return { from: addDays(range.from, -days), to: addDays(range.from, -1) };
}

const PARAMS = ["metrics", "grain", "from", "to", "compare", ...FILTER_NAMES] as const;

const value = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export const queryReport: Report<QueryRequest> = {
  name: "query",
  params: PARAMS,
  parse(query: Params, ctx: ReportContext): QueryRequest {
    known(query, PARAMS);
    const metrics = parseMetrics(query.metrics);
    const grain = parseGrain(query.grain);
    const filters = parseFilters(query);
    const range = parseRange(query, ctx.today, grain.maxRangeDays, `the ${grain.name} grain`);
    const compare = parseCompare(query.compare);
    return {
      metrics,
      grain,
      range,
      filters,
      compare,
      compareRange: compare ? comparisonRange(range, compare) : undefined,
      path: choosePath(metrics, grain, filters),
    };
  },
  version(db: Db, r: QueryRequest) {
    const recomputed = r.metrics.some((m) => m.slice?.recomputed);
    if (r.path.kind === "combo") return readComboVersion(db, r.range.to, r.path, recomputed);
    const slice = r.path.kind === "slice" ? r.path : undefined;
    // Only the recomputed measures (distinct counts, percentiles) can be pending.
    return readVersion(db, r.range.to, slice, recomputed ? slice : undefined);
  },
  async run(db, r, _v, ctx) {
    const series = (range: Range) =>
      readSeries(
        db,
        { metrics: r.metrics, grain: r.grain, filters: r.filters, range, timeZone: ctx.timeZone },
        r.path,
      );
    const current = await series(r.range);
    const previous: SeriesRow[] = r.compareRange ? await series(r.compareRange) : [];
    const periodType = r.grain.kind === "clock" ? "timestamp" : "date";
    const columns: Column[] = [
      col("period", periodType),
      col("label", "string"),
      ...r.metrics.map((m) => col(m.name, m.format === "integer" ? "integer" : "number", m.unit)),
    ];
    if (r.compare) {
      columns.push(col("compare_period", periodType));
      for (const m of r.metrics) {
        columns.push(col(`${m.name}_previous`, m.format === "integer" ? "integer" : "number", m.unit));
        columns.push(col(`${m.name}_change_pct`, "number", "percent"));
      }
    }
    const rows = current.map((row, i) => {
      const out: Record<string, unknown> = { period: row.period, label: row.label };
      for (const m of r.metrics) out[m.name] = value(row[m.name]);
      if (r.compare) {
        const before = previous[i];
        out.compare_period = before?.period ?? null;
        for (const m of r.metrics) {
          const was = before ? value(before[m.name]) : null;
          const now = out[m.name] as number | null;
          out[`${m.name}_previous`] = was;
          out[`${m.name}_change_pct`] = now === null || was === null ? null : growthPct(now, was);
        }
      }
      return out;
    });
    return columnar(columns, rows, {
      grain: r.grain.name,
      metrics: r.metrics.map((m) => m.name),
      from: r.range.from,
      to: r.range.to,
      filters: filterObject(r.filters),
      ...(r.compareRange
        ? { compare: r.compare, compare_from: r.compareRange.from, compare_to: r.compareRange.to }
        : {}),
      currency: ctx.currency,
      timezone: ctx.timeZone,
      source: r.path.kind,
    });
  },
};
