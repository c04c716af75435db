/**
 * The anomaly detectors other than the default seasonal rule (pure): the seed's z-score of the last
 * 24 hours against 30 days, and the streaming detector fed the slice's completed minutes.
 */
import { breachZ } from "../detect/index.ts";
import { deviationPct } from "../detect/pacing.ts";
import { zscoreDetector } from "../detect/zscore.ts";
import type { Rule } from "../rules.ts";
import { type MetricName, metricOf, type SliceHistory, windowSum } from "../series.ts";
import {
  DAY,
  type Evaluation,
  type EvaluationState,
  MINUTE,
  type Moment,
  result,
  type Sensitivity,
  type StreamingFeed,
} from "./evaluation.ts";

export function anomalyZscore(rule: Rule, h: SliceHistory, m: Moment, sensitivity: Sensitivity): Evaluation {
  const metric = rule.metric as MetricName;
  const window = { from: m.now - DAY, to: m.now };
  const days = [...h.days.entries()]
    .filter(([day]) => day < m.today)
    .sort(([a], [b]) => a.localeCompare(b))
    .slice(-30);
  const detector = zscoreDetector();
  for (const [day, sums] of days) {
    const value = metricOf(sums, metric);
    if (value !== null) detector.next({ t: Date.parse(day), value });
  }
  const sums = windowSum(h, window.from, window.to);
  const observed = sums ? metricOf(sums, metric) : null;
  const v = detector.next({ t: m.now, value: observed ?? 0 });
  const meanOrders = days.reduce((a, [, d]) => a + d.orders, 0) / Math.max(days.length, 1);
  const state: EvaluationState =
    v.state !== "ready" || observed === null
      ? "warming_up"
      : meanOrders < rule.min_volume
        ? "low_volume"
        : "ready";
  const pct = deviationPct(v.observed, v.expected);
  return result({
    breach: state === "ready" && Math.abs(v.z!) >= breachZ("zscore", sensitivity),
    state,
    observed: v.observed,
    expected: v.expected,
    deviationPct: pct,
    score: v.score,
    window,
    summary:
      state === "ready"
        ? `${rule.metric} over the last 24 hours is ${v.z!.toFixed(1)}σ from its 30-day mean`
        : `${rule.metric}: ${state === "warming_up" ? `warming up (${v.history} of 7 days)` : "below the minimum volume"}`,
  });
}

const STREAMING_LIMITS = { low: 0.999, medium: 0.995, high: 0.99 };

export function anomalyStreaming(
  rule: Rule,
  h: SliceHistory,
  m: Moment,
  feed: StreamingFeed,
  sensitivity: Sensitivity,
): Evaluation {
  const metric = rule.metric as MetricName;
  const end = Math.floor(m.now / MINUTE) * MINUTE;
  feed.nextMinute = Math.max(feed.nextMinute, h.minutesFrom);
  for (; feed.nextMinute < end; feed.nextMinute += MINUTE) {
    const sums = h.minutes.get(feed.nextMinute);
    const value = sums ? metricOf(sums, metric) : metric === "avg_order_value" ? null : 0;
    if (value !== null) feed.last = feed.detector.next({ t: feed.nextMinute, value });
  }
  const v = feed.last;
  const window = { from: end - MINUTE, to: end };
  if (v?.state !== "ready")
    return result({ state: "warming_up", window, summary: `${rule.metric}: warming up` });
  return result({
    breach: v.score >= STREAMING_LIMITS[sensitivity],
    observed: v.observed,
    expected: v.expected,
    deviationPct: deviationPct(v.observed, v.expected),
    score: v.score,
    window,
    summary: `${rule.metric} per minute: surprise ${v.score.toFixed(4)}`,
  });
}
