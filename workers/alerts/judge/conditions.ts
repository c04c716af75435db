/**
 * The plain conditions (pure): a threshold on a minute, the last hour or the day so far; a change
 * against the previous period or the same time last week; no orders for a number of minutes.
 */
import { deviationPct } from "../detect/pacing.ts";
import type { Rule } from "../rules.ts";
import { type MetricName, metricOf, type SliceHistory, windowSum, ZERO } from "../series.ts";
import { DAY, earlierWeeks, HOUR, MINUTE, type Moment, median, result, WEEK } from "./evaluation.ts";

const compare = (value: number, op: ">" | "<", limit: number) => (op === ">" ? value > limit : value < limit);

function grainWindow(grain: "minute" | "hour" | "day_so_far", op: ">" | "<", m: Moment) {
  const minute = Math.floor(m.now / MINUTE) * MINUTE;
  if (grain === "minute") {
    // A minute only grows: "above" can be judged on the minute under way, "below" only once it is over.
    return op === ">" ? { from: minute, to: minute + MINUTE } : { from: minute - MINUTE, to: minute };
  }
  return grain === "hour" ? { from: m.now - HOUR, to: m.now } : { from: m.dayStart, to: m.now };
}

export function threshold(
  rule: Rule,
  c: Extract<Rule["condition"], { type: "threshold" }>,
  h: SliceHistory,
  m: Moment,
) {
  const window = grainWindow(c.grain, c.op, m);
  const observed =
    rule.metric === "unique_customers"
      ? (h.days.get(m.today)?.uniqueCustomers ?? 0)
      : metricOf(windowSum(h, window.from, window.to) ?? ZERO, rule.metric as MetricName);
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

export function change(
  rule: Rule,
  c: Extract<Rule["condition"], { type: "change" }>,
  h: SliceHistory,
  m: Moment,
) {
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

export function noData(
  rule: Rule,
  c: Extract<Rule["condition"], { type: "no_data" }>,
  h: SliceHistory,
  m: Moment,
) {
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
