/**
 * SliceHistory built from generated traffic, for tests and benches: hours from a seeded hourly
 * series, minutes for the last 48 hours (each hour's orders spread over its minutes), with
 * incidents written over it.
 */
import { add, type Measures, type SliceHistory } from "../series.ts";
import { hourlySeries } from "./business-series.ts";

const MINUTE = 60_000;
const HOUR = 3_600_000;
export const PER_ORDER = 50;

const measuresOf = (orders: number): Measures => ({
  orders,
  quantity: orders * 2,
  revenue: orders * PER_ORDER,
  netRevenue: orders * PER_ORDER * 0.95,
  costs: orders * PER_ORDER * 0.4,
});

export interface Incident {
  from: number;
  to: number;
  /** Multiplies the orders of the minutes in [from, to): 0 = silence, 3 = a surge. */
  factor: number;
}

/** `weeks` of hourly history ending at `end` (exclusive), the last 48 hours also per minute. */
export function generatedHistory(
  end: number,
  weeks: number,
  options: { seed?: number; peak?: number; incidents?: Incident[] } = {},
): SliceHistory {
  const start = end - weeks * 7 * 24 * HOUR;
  const series = hourlySeries(start, weeks * 7 * 24, { seed: options.seed, peak: options.peak });
  const factorAt = (t: number) => options.incidents?.find((i) => t >= i.from && t < i.to)?.factor ?? 1;
  const hours = new Map<number, Measures>();
  const minutes = new Map<number, Measures>();
  const minutesFrom = end - 48 * HOUR;
  for (const { t, value } of series) {
    let hourOrders = 0;
    for (let m = t; m < t + HOUR; m += MINUTE) {
      const orders = (value / 60) * factorAt(m);
      hourOrders += orders;
      if (m >= minutesFrom) minutes.set(m, measuresOf(orders));
    }
    hours.set(t, measuresOf(hourOrders));
  }
  const days = new Map<string, Measures & { uniqueCustomers: number }>();
  for (const [t, m] of hours) {
    const day = new Date(t).toISOString().slice(0, 10);
    const sum = days.get(day) ?? { ...measuresOf(0), uniqueCustomers: 0 };
    days.set(day, { ...add(sum, m), uniqueCustomers: sum.uniqueCustomers + Math.round(m.orders * 0.8) });
  }
  return { hours, hoursFrom: start, minutes, minutesFrom, days };
}
