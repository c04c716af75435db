/**
 * Realistic sales history for the demo source: the demo catalog, then `days` days of sales up to
 * yesterday shaped like the live demo traffic (business hours, quiet weekends) with yearly
 * seasonality, steady growth and a few injected anomalies (two spikes and a dip), so trends,
 * comparisons and anomaly markers have something to show. Deterministic for a given seed.
 */
import { demoCatalog, type NativeEvent, prng, rateAt, SaleGenerator } from "../demo-source.ts";
import { catalogEvents } from "./catalog-events.ts";

export interface HistoryOptions {
  days: number;
  perDay: number;
  seed?: number;
  /** The day after the last generated day (default: today, UTC). */
  until?: Date;
}

/** Days (counted back from the end) whose volume is unusual, for anomaly detection to find. */
export const ANOMALIES: Record<number, number> = { 45: 2.6, 120: 0.3, 300: 2.1 };

function dayWeight(day: Date, index: number, days: number): number {
  const growth = 0.7 + 0.6 * (index / days);
  const yearAngle = ((day.getUTCMonth() * 30.5 + day.getUTCDate()) / 365) * 2 * Math.PI;
  const season = 1 + 0.18 * Math.cos(yearAngle - (11 / 12) * 2 * Math.PI);
  return growth * season * (ANOMALIES[days - index] ?? 1);
}

/** The catalog's events, then the sales, in time order. */
export function* historyEvents(
  options: HistoryOptions,
): Generator<NativeEvent | ReturnType<typeof catalogEvents>[number]> {
  const catalog = demoCatalog();
  yield* catalogEvents(catalog);
  const random = prng(options.seed ?? 7);
  const generator = new SaleGenerator(catalog, random);
  const end = options.until ?? new Date();
  const until = Date.UTC(end.getUTCFullYear(), end.getUTCMonth(), end.getUTCDate());
  const peak = rateAt(1, new Date(Date.UTC(2026, 0, 6, 17))) * 1.6;
  for (let index = 0; index < options.days; index++) {
    const dayStart = until - (options.days - index) * 86_400_000;
    const noonRate = rateAt(1, new Date(dayStart + 43_200_000));
    const target = Math.round(
      options.perDay * dayWeight(new Date(dayStart), index, options.days) * (noonRate / 1.1),
    );
    const times: number[] = [];
    while (times.length < target) {
      // Rejection sampling against the live traffic's hourly and weekly shape.
      const t = dayStart + random() * 86_400_000;
      if (random() * peak < rateAt(1, new Date(t))) times.push(t);
    }
    times.sort((a, b) => a - b);
    for (const t of times) {
      const event = generator.next(new Date(t));
      generator.delivered([event]);
      yield event;
    }
  }
}
