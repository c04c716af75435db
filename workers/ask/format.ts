/**
 * How answers write numbers, periods and filters (pure). Every number written comes from a result
 * the engine computed; these functions only format it.
 */
import { DIMENSIONS, METRICS, type Metric } from "../kpi/model.ts";
import type { SemanticQuery } from "./intent.ts";

const formatters = new Map<string, Intl.NumberFormat>();
function formatter(key: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.NumberFormat("en-US", options);
    formatters.set(key, f);
  }
  return f;
}

/** A metric's value as people read it: $1,234.50, 1,234, 23.4 %. */
export function formatValue(metric: Metric, value: number | null, currency: string): string {
  if (value === null) return "no value";
  if (metric.format === "currency") {
    return formatter(`c${currency}`, {
      style: "currency",
      currency,
      minimumFractionDigits: 2,
      maximumFractionDigits: 2,
    }).format(value);
  }
  if (metric.format === "percent")
    return `${formatter("p", { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(value)} %`;
  return formatter("i", { maximumFractionDigits: 0 }).format(value);
}

/** A difference of a metric's values, with its sign: +$1,200.00, −35. */
export function formatDelta(metric: Metric, value: number, currency: string): string {
  const sign = value < 0 ? "−" : "+";
  const magnitude = formatValue(metric, Math.abs(value), currency);
  return metric.format === "percent" ? `${sign}${magnitude.replace(" %", "")} points` : `${sign}${magnitude}`;
}

export const pct = (value: number) =>
  `${formatter("p", { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(value)} %`;

/** "up 12.4 %", "down 3.0 %", "unchanged", or why no change can be given. */
export function formatChange(changePct: number | null, previous: number | null): string {
  // Written to be followed by what it compares with: "against nothing on the day before".
  if (changePct === null) return previous === 0 ? "against nothing" : "with no value to compare";
  if (changePct === 0) return "unchanged";
  return `${changePct > 0 ? "up" : "down"} ${pct(Math.abs(changePct))}`;
}

export const periodText = (r: { from: string; to: string }) =>
  r.from === r.to ? `on ${r.from}` : `from ${r.from} to ${r.to}`;

export const rangeText = (r: { from: string; to: string }) =>
  r.from === r.to ? r.from : `${r.from} to ${r.to}`;

export const metricOf = (name: string) => METRICS.get(name)!;

/** "in EMEA, Enterprise" — filters by their readable names. */
export function filterText(
  filters: Record<string, string>,
  label: (dim: string, member: string) => string,
): string {
  const parts = Object.entries(filters).map(([d, m]) => label(d, m));
  return parts.length === 0 ? "" : ` for ${parts.join(", ")}`;
}

const COMPARE_TEXT = {
  previous_period: "the previous period",
  previous_year: "the same period a year earlier",
  range: "",
};

/** The interpretation as one line: "revenue · region = EMEA · 2026-11-23 to 2026-11-29 vs …". */
export function interpretationText(q: SemanticQuery, label: (dim: string, member: string) => string): string {
  const parts: string[] = [q.metrics.join(", ")];
  for (const [d, m] of Object.entries(q.filters)) parts.push(`${d} = ${label(d, m)}`);
  if (q.shape === "share" && q.by) parts.push(`share of ${q.by} = ${label(q.by, q.members![0]!)}`);
  if (q.shape === "members" && q.by)
    parts.push(`${q.by} ∈ {${(q.members ?? []).map((m) => label(q.by!, m)).join(", ")}}`);
  if ((q.shape === "rank" || q.shape === "breakdown") && q.by) {
    parts.push(
      q.shape === "rank" ? `${q.sort === "asc" ? "bottom" : "top"} ${q.limit} by ${q.by}` : `by ${q.by}`,
    );
  }
  if (q.grain) parts.push(`per ${q.grain}`);
  if (q.flag) parts.push(`${q.flag.column} ∈ {${q.flag.values.join(", ")}}`);
  if (q.shape === "anomalies") parts.push("anomalies (|z| > 2 over 30 days)");
  if (q.shape === "why") parts.push("contributions by region, segment, category, product");
  let when = rangeText(q.range);
  if (q.compare)
    when += ` vs ${rangeText(q.compare.range)}${q.compare.mode === "range" ? "" : ` (${COMPARE_TEXT[q.compare.mode]})`}`;
  parts.push(when);
  return parts.join(" · ");
}

export const dimensionLabel = (name: string) =>
  name === "day" || name === "week" || name === "month" ? name : DIMENSIONS.get(name)!.label.toLowerCase();
