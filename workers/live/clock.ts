/** Time arithmetic of the live room (pure): windows of a subscription, the next day boundary. */
import { dayIn } from "../kpi/calendar.ts";
import { daysBefore, minuteOf } from "./buckets.ts";

/** Which buckets a subscription sees; `null` = none of that grain. */
export interface Windows {
  /** Oldest minute (epoch seconds). */
  minuteFrom: number | null;
  /** Oldest day (YYYY-MM-DD). */
  dayFrom: string | null;
}

/** The last `minutes` minutes (the current one included) and the last `days` days up to `today`. */
export function windowsOf(sub: { minutes: number; days: number }, nowMs: number, today: string): Windows {
  return {
    minuteFrom: sub.minutes > 0 ? minuteOf(nowMs) - (sub.minutes - 1) * 60 : null,
    dayFrom: sub.days > 0 ? daysBefore(today, sub.days - 1) : null,
  };
}

const HOUR_MS = 3_600_000;

export function nextHour(nowMs: number): number {
  return Math.floor(nowMs / HOUR_MS) * HOUR_MS + HOUR_MS;
}

/**
 * The first minute after `nowMs` that belongs to the next reporting day in `timeZone` (found by
 * bisection over minutes, so it is right for any UTC offset, half hours and DST included).
 */
export function nextDayStart(nowMs: number, timeZone: string): number {
  const today = dayIn(nowMs, timeZone);
  let low = Math.floor(nowMs / 60_000); // in today
  let high = low + 27 * 60; // surely in a later day (the longest day is 25 h)
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (dayIn(mid * 60_000, timeZone) === today) low = mid;
    else high = mid;
  }
  return high * 60_000;
}
