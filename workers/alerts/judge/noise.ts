/**
 * How much a slice's values wobble by chance (pure), for the seasonal rule: the event size learned
 * from the room's minutes, the largest minute the slice has taken, the exact odds of a count, and
 * the |z| a window of a given length must reach.
 */
import type { Verdict } from "../detect/detector.ts";
import { countZ, scoreOfZ, upperTail, zOfUpperTail } from "../detect/stats.ts";
import { type MetricName, metricOf, type SliceHistory } from "../series.ts";
import { HOUR, MINUTE } from "./evaluation.ts";

const DISPERSION_WINDOW = 47 * HOUR;

/**
 * A business's day differs from the same weekday's by about this much (weather, a campaign, a
 * holiday abroad) even when the few weeks on record happen to agree: a floor on the relative
 * spread of the expected rate, so eight similar Wednesdays do not make a 20 % busier one an alarm.
 */
const MIN_RATE_SPREAD = 0.1;

/**
 * The minutes before the windows being judged (the last hour), up to nearly two days: the noise is
 * learned from them, so the incident under judgement does not count as noise — a 1,000× sale in
 * the last minute would otherwise make itself "one large order" and judge itself ordinary from the
 * next minute on. (Plain loops over them, not an iterator: this runs for every slice on every update.)
 */
function minutesBefore(h: SliceHistory, now: number): { first: number; to: number } {
  const to = Math.floor((now - HOUR) / MINUTE) * MINUTE;
  const from = Math.max(h.minutesFrom, to - DISPERSION_WINDOW);
  return { first: Math.ceil(from / MINUTE) * MINUTE, to };
}

const valueAt = (h: SliceHistory, metric: MetricName, t: number) => {
  const m = h.minutes.get(t);
  return m ? (metricOf(m, metric) ?? 0) : 0;
};

/**
 * The noise of one minute's value, as an event size: half the mean squared change between
 * consecutive minutes over the mean (an index of dispersion that the slow daily rhythm does not
 * inflate), over the room's minutes before the last hour (nearly two days: the more large orders
 * it has seen, the better it knows how large they come). For a count of independent orders it is
 * about 1; for money it is E[order²] / E[order], which a few large orders make far larger than the
 * average order — so one enterprise deal in a quiet hour is not an anomaly.
 */
export function minuteDispersion(h: SliceHistory, metric: MetricName, now: number): number {
  const { first, to } = minutesBefore(h, now);
  let n = 0;
  let sum = 0;
  let squares = 0;
  let previous: number | null = null;
  for (let t = first; t < to; t += MINUTE) {
    const value = valueAt(h, metric, t);
    n++;
    sum += value;
    if (previous !== null) squares += (value - previous) ** 2;
    previous = value;
  }
  if (n < 60 || sum <= 0) return 0;
  return squares / (2 * (n - 1)) / (sum / n);
}

/** The largest minute's value in the room's minutes before the last hour. */
export function largestMinute(h: SliceHistory, metric: MetricName, now: number): number {
  const { first, to } = minutesBefore(h, now);
  let largest = 0;
  for (let t = first; t < to; t += MINUTE) largest = Math.max(largest, valueAt(h, metric, t));
  return largest;
}

/**
 * Counts of events are judged on their exact odds rather than the normal approximation, which
 * understates how unlikely silence is and overstates a handful of extra events: the observed
 * events against a negative binomial whose mean is the earlier weeks' (the highest and lowest left
 * out when there are five or more, so one odd week does not move it) and whose rate varies as much
 * as it did from week to week (again without the odd weeks) (a baseline of few orders an hour is
 * itself uncertain: eight Tuesdays of ~25 orders put the rate only within ~20 %). The same holds
 * for a busy slice's day so far: its spread is mostly how much one Wednesday differs from another,
 * which the weeks measure.
 */
export function countNoise(v: Verdict, values: readonly number[], unit: number): Verdict {
  if (v.state !== "ready" || v.expected === null || v.z === null || unit <= 0) return v;
  const sorted = [...values].sort((a, b) => a - b);
  const kept = sorted.length >= 5 ? sorted.slice(1, -1) : sorted;
  const mean = kept.reduce((a, b) => a + b, 0) / kept.length;
  const lambda = Math.abs(mean) / unit;
  if (!(mean > 0)) return v;
  // The spread of the same weeks without the odd ones (Black Friday a week ago must not make every
  // count look ordinary), scaled up for what the trimming takes off a normal spread.
  const variance =
    ((kept.length < sorted.length ? 1.5 : 1) * kept.reduce((a, b) => a + (b - mean) ** 2, 0)) /
    Math.max(1, kept.length - 1);
  // Today's rate differs from the baseline's as much as a week's did, plus the baseline's own error.
  const relVar = Math.max(variance / mean ** 2, MIN_RATE_SPREAD ** 2) * (1 + 1 / values.length);
  const k = Math.max(0, v.observed) / unit;
  // Past a few hundred events the negative binomial is the normal with its variance.
  const z =
    lambda < 200 ? countZ(k, lambda, relVar) : (k - lambda) / Math.sqrt(lambda + relVar * lambda ** 2);
  return { ...v, expected: mean, z, score: scoreOfZ(z) };
}

/**
 * The |z| a window must reach: the sensitivity's for an hour or longer, stricter for shorter
 * windows in proportion to how many more of them a day holds (twelve 5-minute windows per hour),
 * so each window length has the same false-alarm budget and a small slice's many short windows do
 * not add up to a page a day.
 */
export function windowLimit(limit: number, minutes: number): number {
  return minutes >= 60 ? limit : zOfUpperTail(upperTail(limit) * (minutes / 60));
}
