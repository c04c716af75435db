/**
 * Which slices drove a deviation (pure): each member's observed − expected over the same window
 * and baseline weeks as the alert, and its share of the total deviation. For a whole-business alert
 * "EMEA −4,100 (92 % of the deviation)" is the first thing an executive wants to read.
 */
import type { Evaluation } from "./evaluate.ts";
import type { Contribution } from "./payload.ts";
import { type MetricName, metricOf, type SliceHistory, windowSum } from "./series.ts";

export interface MemberHistory {
  dimension: string;
  member: string;
  history: SliceHistory;
}

const ADDITIVE: readonly string[] = ["revenue", "net_revenue", "orders", "quantity"];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

export function explain(
  metric: string,
  evaluation: Pick<Evaluation, "window" | "baseline" | "observed" | "expected">,
  members: readonly MemberHistory[],
  perDimension = 5,
): Contribution[] {
  // Ratios (average order value) do not split into additive parts.
  if (!ADDITIVE.includes(metric) || evaluation.baseline.length === 0) return [];
  const total =
    evaluation.observed !== null && evaluation.expected !== null
      ? evaluation.observed - evaluation.expected
      : null;
  const rows: Contribution[] = [];
  for (const { dimension, member, history } of members) {
    const now = windowSum(history, evaluation.window.from, evaluation.window.to);
    const before = evaluation.baseline
      .map((b) => windowSum(history, b.from, b.to))
      .filter((s) => s !== null)
      .map((s) => metricOf(s, metric as MetricName) ?? 0);
    if (!now || before.length === 0) continue;
    const contribution = (metricOf(now, metric as MetricName) ?? 0) - median(before);
    rows.push({
      dimension,
      member,
      contribution,
      share_pct: total ? (contribution / total) * 100 : null,
    });
  }
  const byDimension = new Map<string, Contribution[]>();
  for (const row of rows) byDimension.set(row.dimension, [...(byDimension.get(row.dimension) ?? []), row]);
  return [...byDimension.values()].flatMap((list) =>
    list
      // The members that pushed the same way as the deviation come first, largest first.
      .sort((a, b) => Math.sign(total ?? 0) * (b.contribution - a.contribution))
      .slice(0, perDimension),
  );
}
