/**
 * Generated business traffic for tests and benches: a daily rhythm (quiet nights, a lunchtime and
 * an evening peak), quieter weekends, and Poisson-like noise, from a seeded generator so every run
 * sees the same series.
 */
import { prng } from "../../../scripts/demo/random.ts";

/** mulberry32, the demo's seeded PRNG: good enough for test data. */
export const seededRandom = prng;

/** Expected orders per hour at `t` (UTC): ~2 at night, ~60 at the weekday peaks, weekends at 40 %. */
export function ordersPerHour(t: number, peak = 60): number {
  const date = new Date(t);
  const hour = date.getUTCHours() + date.getUTCMinutes() / 60;
  const day = date.getUTCDay();
  const daily = 0.03 + Math.exp(-((hour - 12.5) ** 2) / 8) + 0.8 * Math.exp(-((hour - 19) ** 2) / 6);
  const weekly = day === 0 || day === 6 ? 0.4 : 1;
  return peak * daily * weekly;
}

/** A normal approximation of a Poisson draw with mean `mean`. */
export function noisyCount(mean: number, random: () => number): number {
  const u = Math.max(random(), 1e-12);
  const gaussian = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  return Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian));
}

/** Hourly points from `start` for `hours` hours: orders (or revenue at `perOrder` each). */
export function hourlySeries(
  start: number,
  hours: number,
  options: { seed?: number; peak?: number; perOrder?: number } = {},
): { t: number; value: number }[] {
  const random = seededRandom(options.seed ?? 1);
  return Array.from({ length: hours }, (_, i) => {
    const t = start + i * 3600_000;
    return { t, value: noisyCount(ordersPerHour(t, options.peak), random) * (options.perOrder ?? 1) };
  });
}
