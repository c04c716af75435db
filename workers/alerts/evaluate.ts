/**
 * One evaluation of a rule on a slice's history at a moment (pure): is the condition breached,
 * with the figures a person needs (observed, expected, deviation) and a sentence saying it.
 *
 * Windows end at `now`. "hour" is the trailing 60 minutes, "day_so_far" runs from the reporting
 * day's midnight. Seasonal baselines are the same window in up to eight earlier weeks.
 */

import type { Detector, Verdict } from "./detect/detector.ts";
import { breachZ } from "./detect/index.ts";
import { describePace, deviationPct } from "./detect/pacing.ts";
import { seasonalVerdict } from "./detect/seasonal.ts";
import { countZ, scoreOfZ, upperTail, zOfUpperTail } from "./detect/stats.ts";
import { zscoreDetector } from "./detect/zscore.ts";
import type { Rule } from "./rules.ts";
import { type Measures, type MetricName, metricOf, type SliceHistory, unitOf, windowSum } from "./series.ts";

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const WEEK = 7 * DAY;
const BASELINE_WEEKS = 8;
const DISPERSION_WINDOW = 47 * HOUR;

export interface Moment {
  now: number;
  /** Epoch ms of the reporting day's midnight. */
  dayStart: number;
  /** The reporting day, YYYY-MM-DD. */
  today: string;
  utcOffsetMinutes: number;
}

export type EvaluationState = "ready" | "warming_up" | "low_volume";

export interface Evaluation {
  breach: boolean;
  state: EvaluationState;
  observed: number | null;
  expected: number | null;
  deviationPct: number | null;
  /** [0, 1]: how far past normal (for anomaly conditions the detector's score). */
  score: number;
  /** The evaluated window, and the windows of the baseline (for explanations). */
  window: { from: number; to: number };
  baseline: { from: number; to: number }[];
  summary: string;
}

/** A streaming detector fed the slice's completed minutes, kept by the engine between updates. */
export interface StreamingFeed {
  detector: Detector;
  /** Epoch ms of the next minute to feed. */
  nextMinute: number;
  last: Verdict | null;
}

const compare = (value: number, op: ">" | "<", limit: number) => (op === ">" ? value > limit : value < limit);

function result(partial: Partial<Evaluation> & Pick<Evaluation, "window" | "summary">): Evaluation {
  return {
    breach: false,
    state: "ready",
    observed: null,
    expected: null,
    deviationPct: null,
    score: 0,
    baseline: [],
    ...partial,
  };
}

/** The same window in earlier weeks that history covers. */
function earlierWeeks(
  h: SliceHistory,
  from: number,
  to: number,
): { from: number; to: number; sums: Measures }[] {
  const out = [];
  for (let w = 1; w <= BASELINE_WEEKS; w++) {
    const sums = windowSum(h, from - w * WEEK, to - w * WEEK);
    if (sums) out.push({ from: from - w * WEEK, to: to - w * WEEK, sums });
  }
  return out;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? 0
    : s.length % 2
      ? s[s.length >> 1]!
      : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/**
 * The noise of one minute's value, as an event size: half the mean squared change between
 * consecutive minutes over the mean (an index of dispersion that the slow daily rhythm does not
 * inflate), over the room's minutes before the last hour (nearly two days: the more large orders
 * it has seen, the better it knows how large they come). For a count of independent orders it is about 1; for
 * money it is E[order²] / E[order], which a few large orders make far larger than the average order
 * — so one enterprise deal in a quiet hour is not an anomaly.
 */
export function minuteDispersion(h: SliceHistory, metric: MetricName, now: number): number {
  // Learned from before the windows being judged (the last hour), so the incident under
  // judgement does not count as noise: a 1,000× sale in the last minute would otherwise make itself
  // "one large order" and judge itself ordinary from the next minute on.
  const to = Math.floor((now - HOUR) / MINUTE) * MINUTE;
  const from = Math.max(h.minutesFrom, to - DISPERSION_WINDOW);
  let n = 0;
  let sum = 0;
  let squares = 0;
  let previous: number | null = null;
  for (let t = Math.ceil(from / MINUTE) * MINUTE; t < to; t += MINUTE) {
    const m = h.minutes.get(t);
    const value = m ? (metricOf(m, metric) ?? 0) : 0;
    n++;
    sum += value;
    if (previous !== null) squares += (value - previous) ** 2;
    previous = value;
  }
  if (n < 60 || sum <= 0) return 0;
  return squares / (2 * (n - 1)) / (sum / n);
}

/** The largest minute's value in the room's minutes before the last hour. */
function largestMinute(h: SliceHistory, metric: MetricName, now: number): number {
  const to = Math.floor((now - HOUR) / MINUTE) * MINUTE;
  const from = Math.max(h.minutesFrom, to - DISPERSION_WINDOW);
  let largest = 0;
  for (let t = Math.ceil(from / MINUTE) * MINUTE; t < to; t += MINUTE) {
    const v = h.minutes.get(t);
    const value = v ? (metricOf(v, metric) ?? 0) : 0;
    if (value > largest) largest = value;
  }
  return largest;
}

/**
 * Counts of events are judged on their exact odds rather than the normal approximation, which
 * understates how unlikely silence is and overstates a handful of extra events: the observed
 * events against a negative binomial whose mean is the earlier weeks' (the highest and lowest left
 * out when there are five or more, so one odd week does not move it) and whose rate varies as much
 * as it did from week to week (again without the odd weeks) (a baseline of few orders an hour is itself uncertain: eight
 * Tuesdays of ~25 orders put the rate only within ~20 %). The same holds for a busy slice's day so
 * far: its spread is mostly how much one Wednesday differs from another, which the weeks measure.
 */
/**
 * A business's day differs from the same weekday's by about this much (weather, a campaign, a
 * holiday abroad) even when the few weeks on record happen to agree: a floor on the relative
 * spread of the expected rate, so eight similar Wednesdays do not make a 20 % busier one an alarm.
 */
const MIN_RATE_SPREAD = 0.1;

function countNoise(v: Verdict, values: readonly number[], unit: number): Verdict {
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
function windowLimit(limit: number, minutes: number): number {
  return minutes >= 60 ? limit : zOfUpperTail(upperTail(limit) * (minutes / 60));
}

function seasonalCheck(
  rule: Rule,
  h: SliceHistory,
  from: number,
  to: number,
  label: string,
  dispersion: number,
) {
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

function anomalySeasonal(
  rule: Rule,
  h: SliceHistory,
  m: Moment,
  sensitivity: "low" | "medium" | "high",
): Evaluation {
  const limit = breachZ("seasonal", sensitivity);
  const metric = rule.metric as MetricName;
  const dispersion = metric === "avg_order_value" ? 0 : minuteDispersion(h, metric, m.now);
  const checks = [
    seasonalCheck(rule, h, m.now - 5 * MINUTE, m.now, "the last 5 minutes", dispersion),
    seasonalCheck(rule, h, m.now - 15 * MINUTE, m.now, "the last 15 minutes", dispersion),
    seasonalCheck(rule, h, m.now - HOUR, m.now, "the last hour", dispersion),
    seasonalCheck(rule, h, m.dayStart, m.now, "today so far", dispersion),
  ];
  const [recent, quarter, hour, pace] = checks;
  // A slice with a handful of orders an hour pages nobody: below `min_volume` orders in its usual
  // hour at this time of the week, nothing is judged. Above it, an order count is judged on every
  // window, the short ones on the exact Poisson odds of their few orders (countNoise). Money and
  // units are sums of few, very unequal orders (one enterprise deal is twenty ordinary ones), so
  // a window of those needs `min_volume` orders of its own before it is judged.
  const sliceLow = hour!.verdict.state === "ready" && hour!.expectedOrders < rule.min_volume;
  const windowLow = (c: (typeof checks)[number]) =>
    sliceLow || (metric !== "orders" && c.verdict.state === "ready" && c.expectedOrders < rule.min_volume);
  const ready = checks.filter((c) => c.verdict.state === "ready" && !windowLow(c));
  const lowVolume = checks.some((c) => c.verdict.state === "ready" && windowLow(c));
  // A longer window remembers: it counts only while the last 5 minutes still lean the same way (or,
  // for a drop, hold no orders at all), so an alert resolves once the present is normal again
  // rather than when the incident has left the last hour.
  const leans = (c: (typeof checks)[number]) => {
    const z = c.verdict.z;
    const z5 = recent!.verdict.z;
    if (z === null || z5 === null || recent!.verdict.state !== "ready") return true;
    return z5 * Math.sign(z) >= 1 || (z < 0 && recent!.orders === 0);
  };
  // Today's pace keeps the memory of the morning: it counts only while the last hour still leans
  // the same way, so a slow bleed fires but a surge that is over does not keep the alert open.
  const paceCounts =
    hour!.verdict.z !== null && pace!.verdict.z !== null && hour!.verdict.z * Math.sign(pace!.verdict.z) >= 1;
  // Money and units come in orders of very different sizes, with a long tail no count model
  // captures: a rise counts only when it is more than one order could be — over three times the
  // largest minute the slice took in the two days before (a deal of a size it has seen is not news).
  const largest = metric === "orders" || metric === "avg_order_value" ? 0 : largestMinute(h, metric, m.now);
  const beyondOneOrder = (c: (typeof checks)[number]) =>
    c.verdict.z! < 0 || c.verdict.expected === null || c.verdict.observed - c.verdict.expected > 3 * largest;
  const counts = (c: (typeof checks)[number]) =>
    beyondOneOrder(c) && (c === pace ? paceCounts : c === quarter || c === hour ? leans(c) : true);
  const breached = ready.filter(
    (c) => Math.abs(c.verdict.z!) >= windowLimit(limit, (c.to - c.from) / MINUTE) && counts(c),
  );
  // The figures shown are those of the strongest signal (or of today's pace when nothing breaches).
  const shown =
    [...breached].sort((a, b) => Math.abs(b.verdict.z!) - Math.abs(a.verdict.z!))[0] ?? ready.at(-1) ?? pace!;
  const state: EvaluationState = ready.length ? "ready" : lowVolume ? "low_volume" : "warming_up";
  const v = shown.verdict;
  const sentence = describePace(rule.metric.replace(/_/g, " "), v, m.now, m.utcOffsetMinutes);
  return result({
    breach: breached.length > 0,
    state,
    observed: v.observed,
    expected: v.expected,
    deviationPct: deviationPct(v.observed, v.expected),
    score: v.score,
    window: { from: shown.from, to: shown.to },
    baseline: shown.weeks.map(({ from, to }) => ({ from, to })),
    summary:
      state === "warming_up"
        ? `${rule.metric}: warming up (${v.history} of 3 earlier weeks of history)`
        : state === "low_volume"
          ? `${rule.metric}: below the minimum volume (${rule.min_volume} orders an hour expected) — not judged`
          : `${sentence} (${shown.label})`,
  });
}

function anomalyZscore(
  rule: Rule,
  h: SliceHistory,
  m: Moment,
  sensitivity: "low" | "medium" | "high",
): Evaluation {
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

function anomalyStreaming(
  rule: Rule,
  h: SliceHistory,
  m: Moment,
  feed: StreamingFeed,
  sensitivity: "low" | "medium" | "high",
) {
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

function grainWindow(grain: "minute" | "hour" | "day_so_far", op: ">" | "<", m: Moment) {
  const minute = Math.floor(m.now / MINUTE) * MINUTE;
  if (grain === "minute") {
    // A minute only grows: "above" can be judged on the minute under way, "below" only once it is over.
    return op === ">" ? { from: minute, to: minute + MINUTE } : { from: minute - MINUTE, to: minute };
  }
  return grain === "hour" ? { from: m.now - HOUR, to: m.now } : { from: m.dayStart, to: m.now };
}

function threshold(
  rule: Rule,
  c: Extract<Rule["condition"], { type: "threshold" }>,
  h: SliceHistory,
  m: Moment,
) {
  const window = grainWindow(c.grain, c.op, m);
  const observed =
    rule.metric === "unique_customers"
      ? (h.days.get(m.today)?.uniqueCustomers ?? 0)
      : metricOf(
          windowSum(h, window.from, window.to) ?? {
            orders: 0,
            quantity: 0,
            revenue: 0,
            netRevenue: 0,
            costs: 0,
          },
          rule.metric as MetricName,
        );
  if (observed === null)
    return result({ state: "low_volume", window, summary: `${rule.metric}: no orders to average` });
  const breach = compare(observed, c.op, c.value);
  return result({
    breach,
    observed,
    expected: c.value,
    deviationPct: deviationPct(observed, c.value),
    score: breach ? 1 : 0,
    window,
    summary: `${rule.metric} (${c.grain.replace(/_/g, " ")}) is ${observed} — ${breach ? "" : "not "}${c.op === ">" ? "above" : "below"} ${c.value}`,
  });
}

function change(rule: Rule, c: Extract<Rule["condition"], { type: "change" }>, h: SliceHistory, m: Moment) {
  const metric = rule.metric as MetricName;
  const window = grainWindow(c.grain, ">", m);
  const shift = c.vs === "same_time_last_week" ? WEEK : c.grain === "hour" ? HOUR : DAY;
  const base = { from: window.from - shift, to: window.to - shift };
  const now = windowSum(h, window.from, window.to);
  const then = windowSum(h, base.from, base.to);
  if (!now || !then)
    return result({
      state: "warming_up",
      window,
      summary: `${rule.metric}: no history for ${c.vs.replace(/_/g, " ")}`,
    });
  if (then.orders < rule.min_volume) {
    return result({
      state: "low_volume",
      window,
      baseline: [base],
      summary: `${rule.metric}: below the minimum volume`,
    });
  }
  const observed = metricOf(now, metric);
  const expected = metricOf(then, metric);
  const pct = observed === null ? null : deviationPct(observed, expected);
  const breach = pct !== null && compare(pct, c.op, c.pct);
  return result({
    breach,
    observed,
    expected,
    deviationPct: pct,
    score: breach ? 1 : 0,
    window,
    baseline: [base],
    summary: `${rule.metric} (${c.grain.replace(/_/g, " ")}) ${pct === null ? "has no value" : `changed ${pct.toFixed(1)} %`} vs ${c.vs.replace(/_/g, " ")}`,
  });
}

function noData(rule: Rule, c: Extract<Rule["condition"], { type: "no_data" }>, h: SliceHistory, m: Moment) {
  const window = { from: m.now - c.minutes * MINUTE, to: m.now };
  const orders = windowSum(h, window.from, window.to)?.orders ?? 0;
  const weeks = earlierWeeks(h, window.from, window.to);
  const expected = weeks.length ? median(weeks.map((w) => w.sums.orders)) : null;
  // Silence is only news when this time of the week usually has orders (or nothing is known yet).
  if (expected !== null && expected < rule.min_volume) {
    return result({
      state: "low_volume",
      observed: orders,
      expected,
      window,
      summary: "quiet as usual at this time",
    });
  }
  const breach = orders === 0;
  return result({
    breach,
    observed: orders,
    expected,
    deviationPct: deviationPct(orders, expected),
    score: breach ? 1 : 0,
    window,
    baseline: weeks.map(({ from, to }) => ({ from, to })),
    summary: breach
      ? `no orders in the last ${c.minutes} minutes`
      : `${orders} orders in the last ${c.minutes} minutes`,
  });
}

/** Evaluates `rule` on one slice's history at `moment`. */
export function evaluateRule(rule: Rule, h: SliceHistory, moment: Moment, feed?: StreamingFeed): Evaluation {
  const c = rule.condition;
  switch (c.type) {
    case "threshold":
      return threshold(rule, c, h, moment);
    case "change":
      return change(rule, c, h, moment);
    case "no_data":
      return noData(rule, c, h, moment);
    case "anomaly":
      if (c.detector === "zscore") return anomalyZscore(rule, h, moment, c.sensitivity);
      if (c.detector === "streaming") {
        if (!feed) throw new Error("a streaming anomaly rule needs its feed");
        return anomalyStreaming(rule, h, moment, feed, c.sensitivity);
      }
      return anomalySeasonal(rule, h, moment, c.sensitivity);
  }
}
