/**
 * The live seasonal anomaly rule (pure): a slice's last 5 and 15 minutes, last hour and day so far,
 * each against the same window in earlier weeks on the exact odds of its counts, guarded by the
 * minimum volume, and breaching only where the present still leans the same way.
 */
import { breachZ } from "../detect/index.ts";
import { describePace, deviationPct } from "../detect/pacing.ts";
import { seasonalVerdict } from "../detect/seasonal.ts";
import type { Rule } from "../rules.ts";
import { type MetricName, metricOf, type SliceHistory, unitOf, windowSum } from "../series.ts";
import {
  type Evaluation,
  type EvaluationState,
  earlierWeeks,
  HOUR,
  MINUTE,
  type Moment,
  median,
  result,
  type Sensitivity,
} from "./evaluation.ts";
import { countNoise, largestMinute, minuteDispersion, windowLimit } from "./noise.ts";

/** One window's judgement, with what the volume guard and the explanation need. */
function seasonalCheck(
  rule: Rule,
  h: SliceHistory,
  window: { from: number; to: number; label: string },
  dispersion: number,
) {
  const { from, to, label } = window;
  const metric = rule.metric as MetricName;
  const sums = windowSum(h, from, to);
  const weeks = earlierWeeks(h, from, to).filter((w) => metricOf(w.sums, metric) !== null);
  const expectedOrders = median(weeks.map((w) => w.sums.orders));
  const observed = sums ? metricOf(sums, metric) : null;
  const values = weeks.map((w) => metricOf(w.sums, metric)!);
  const unit = Math.max(
    unitOf(
      metric,
      weeks.map((w) => w.sums),
    ),
    dispersion,
  );
  const verdict = countNoise(seasonalVerdict(observed ?? 0, values, { unit }), values, unit);
  return {
    verdict: { ...verdict, observed: observed ?? 0 },
    weeks,
    expectedOrders,
    orders: sums?.orders ?? 0,
    label,
    from,
    to,
  };
}

type Check = ReturnType<typeof seasonalCheck>;

interface Windows {
  recent: Check;
  quarter: Check;
  hour: Check;
  pace: Check;
  all: Check[];
}

/** The four windows at `m`, judged. */
function judgeWindows(rule: Rule, h: SliceHistory, m: Moment): Windows {
  const metric = rule.metric as MetricName;
  const dispersion = metric === "avg_order_value" ? 0 : minuteDispersion(h, metric, m.now);
  const [recent, quarter, hour, pace] = [
    { from: m.now - 5 * MINUTE, to: m.now, label: "the last 5 minutes" },
    { from: m.now - 15 * MINUTE, to: m.now, label: "the last 15 minutes" },
    { from: m.now - HOUR, to: m.now, label: "the last hour" },
    { from: m.dayStart, to: m.now, label: "today so far" },
  ].map((w) => seasonalCheck(rule, h, w, dispersion)) as [Check, Check, Check, Check];
  return { recent, quarter, hour, pace, all: [recent, quarter, hour, pace] };
}

/**
 * A slice with a handful of orders an hour pages nobody: below `min_volume` orders in its usual
 * hour at this time of the week, nothing is judged. Above it, an order count is judged on every
 * window, the short ones on the exact Poisson odds of their few orders (countNoise). Money and
 * units are sums of few, very unequal orders (one enterprise deal is twenty ordinary ones), so a
 * window of those needs `min_volume` orders of its own before it is judged.
 */
function volumeGuard(rule: Rule, w: Windows): { ready: Check[]; lowVolume: boolean } {
  const sliceLow = w.hour.verdict.state === "ready" && w.hour.expectedOrders < rule.min_volume;
  const windowLow = (c: Check) =>
    sliceLow ||
    (rule.metric !== "orders" && c.verdict.state === "ready" && c.expectedOrders < rule.min_volume);
  return {
    ready: w.all.filter((c) => c.verdict.state === "ready" && !windowLow(c)),
    lowVolume: w.all.some((c) => c.verdict.state === "ready" && windowLow(c)),
  };
}

/** Whether a window past its limit counts as a breach (the longer windows remember the past). */
function countsAsBreach(rule: Rule, h: SliceHistory, m: Moment, w: Windows): (c: Check) => boolean {
  const metric = rule.metric as MetricName;
  // A longer window remembers: it counts only while the last 5 minutes still lean the same way (or,
  // for a drop, hold no orders at all), so an alert resolves once the present is normal again
  // rather than when the incident has left the last hour.
  const leans = (c: Check) => {
    const z = c.verdict.z;
    const z5 = w.recent.verdict.z;
    if (z === null || z5 === null || w.recent.verdict.state !== "ready") return true;
    return z5 * Math.sign(z) >= 1 || (z < 0 && w.recent.orders === 0);
  };
  // Today's pace keeps the memory of the morning: it counts only while the last hour still leans
  // the same way, so a slow bleed fires but a surge that is over does not keep the alert open.
  const paceCounts =
    w.hour.verdict.z !== null &&
    w.pace.verdict.z !== null &&
    w.hour.verdict.z * Math.sign(w.pace.verdict.z) >= 1;
  // Money and units come in orders of very different sizes, with a long tail no count model
  // captures: a rise counts only when it is more than one order could be — over three times the
  // largest minute the slice took in the two days before (a deal of a size it has seen is not news).
  const largest = metric === "orders" || metric === "avg_order_value" ? 0 : largestMinute(h, metric, m.now);
  const beyondOneOrder = (c: Check) =>
    c.verdict.z! < 0 || c.verdict.expected === null || c.verdict.observed - c.verdict.expected > 3 * largest;
  return (c) =>
    beyondOneOrder(c) && (c === w.pace ? paceCounts : c === w.quarter || c === w.hour ? leans(c) : true);
}

function summaryOf(rule: Rule, state: EvaluationState, shown: Check, m: Moment): string {
  const v = shown.verdict;
  if (state === "warming_up")
    return `${rule.metric}: warming up (${v.history} of 3 earlier weeks of history)`;
  if (state === "low_volume") {
    return `${rule.metric}: below the minimum volume (${rule.min_volume} orders an hour expected) — not judged`;
  }
  return `${describePace(rule.metric.replace(/_/g, " "), v, m.now, m.utcOffsetMinutes)} (${shown.label})`;
}

export function anomalySeasonal(
  rule: Rule,
  h: SliceHistory,
  m: Moment,
  sensitivity: Sensitivity,
): Evaluation {
  const limit = breachZ("seasonal", sensitivity);
  const windows = judgeWindows(rule, h, m);
  const { ready, lowVolume } = volumeGuard(rule, windows);
  const counts = countsAsBreach(rule, h, m, windows);
  const breached = ready.filter(
    (c) => Math.abs(c.verdict.z!) >= windowLimit(limit, (c.to - c.from) / MINUTE) && counts(c),
  );
  // The figures shown are those of the strongest signal (or of today's pace when nothing breaches).
  const shown =
    [...breached].sort((a, b) => Math.abs(b.verdict.z!) - Math.abs(a.verdict.z!))[0] ??
    ready.at(-1) ??
    windows.pace;
  const state: EvaluationState = ready.length ? "ready" : lowVolume ? "low_volume" : "warming_up";
  const v = shown.verdict;
  return result({
    breach: breached.length > 0,
    state,
    observed: v.observed,
    expected: v.expected,
    deviationPct: deviationPct(v.observed, v.expected),
    score: v.score,
    window: { from: shown.from, to: shown.to },
    baseline: shown.weeks.map(({ from, to }) => ({ from, to })),
    summary: summaryOf(rule, state, shown, m),
  });
}
