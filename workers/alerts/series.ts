/**
 * A slice's history as the rule engine reads it (pure): the room's minute buckets for the last
 * 48 hours, hourly sums from Postgres for the weeks before, and day totals. Any time window is a
 * sum over these — minutes where the room has them, hours (pro rata) before that — so "the last
 * 60 minutes" and "the same 60 minutes a week ago" are measured the same way.
 */
import type { Additive } from "../live/buckets.ts";

export type Measures = Additive;
export const ZERO: Measures = { orders: 0, quantity: 0, revenue: 0, netRevenue: 0, costs: 0 };

export interface SliceHistory {
  /** Hour sums by hour start (epoch ms), for hours from `hoursFrom`. */
  hours: ReadonlyMap<number, Measures>;
  hoursFrom: number;
  /** Minute sums by minute start (epoch ms), for minutes from `minutesFrom`. */
  minutes: ReadonlyMap<number, Measures>;
  minutesFrom: number;
  /** Day totals with unique customers, by reporting day (YYYY-MM-DD). */
  days: ReadonlyMap<string, Measures & { uniqueCustomers: number }>;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

export function add(a: Measures, b: Measures, factor = 1): Measures {
  return {
    orders: a.orders + b.orders * factor,
    quantity: a.quantity + b.quantity * factor,
    revenue: a.revenue + b.revenue * factor,
    netRevenue: a.netRevenue + b.netRevenue * factor,
    costs: a.costs + b.costs * factor,
  };
}

function addInto(sum: Measures, value: Measures, factor = 1): void {
  sum.orders += value.orders * factor;
  sum.quantity += value.quantity * factor;
  sum.revenue += value.revenue * factor;
  sum.netRevenue += value.netRevenue * factor;
  sum.costs += value.costs * factor;
}

/** Sums of [from, to) (epoch ms), or null when history does not reach back to `from`. */
export function windowSum(h: SliceHistory, from: number, to: number): Measures | null {
  if (from < Math.min(h.hoursFrom, h.minutesFrom)) return null;
  // One accumulator, not an object per minute: this runs for every rule and slice on every update.
  const sum = { ...ZERO };
  const split = Math.max(from, Math.min(to, h.minutesFrom));
  // The part before the minute window, from hours, pro rata for partial hours.
  for (let hour = Math.floor(from / HOUR) * HOUR; hour < split; hour += HOUR) {
    const overlap = Math.min(split, hour + HOUR) - Math.max(from, hour);
    const value = h.hours.get(hour);
    if (value && overlap > 0) addInto(sum, value, overlap / HOUR);
  }
  for (let minute = Math.ceil(split / MINUTE) * MINUTE; minute < to; minute += MINUTE) {
    const value = h.minutes.get(minute);
    if (value) addInto(sum, value);
  }
  return sum;
}

export type MetricName = "revenue" | "net_revenue" | "orders" | "quantity" | "avg_order_value";

/** A metric of the semantic model from additive sums; null where it is undefined (AOV of 0 orders). */
export function metricOf(m: Measures, metric: MetricName): number | null {
  switch (metric) {
    case "revenue":
      return m.revenue;
    case "net_revenue":
      return m.netRevenue;
    case "orders":
      return m.orders;
    case "quantity":
      return m.quantity;
    case "avg_order_value":
      return m.orders > 0 ? m.revenue / m.orders : null;
  }
}

/**
 * What one event adds to the metric — the count-noise floor of a seasonal baseline: 1 per order or
 * unit, the average order value for money, nothing for a ratio.
 */
export function unitOf(metric: MetricName, history: readonly Measures[]): number {
  if (metric === "orders" || metric === "quantity") return 1;
  if (metric === "avg_order_value") return 0;
  const total = history.reduce((a, b) => add(a, b), ZERO);
  return total.orders > 0 ? (metricOf(total, metric) ?? 0) / total.orders : 0;
}
