/**
 * Intraday pacing: today so far against what the same weekday had by the same time of day in the
 * previous weeks ("revenue is 38 % below a normal Wednesday at 14:05"). A day's total is only known
 * at midnight; its pace is known all day, so a region that goes quiet at 14:00 is seen at 14:00.
 */
import type { Verdict } from "./detector.ts";
import { seasonalVerdict } from "./seasonal.ts";

/**
 * `sameWeekdaysSoFar`: for each earlier same weekday (any number), its cumulative value at the same
 * time of day. The judgement is the seasonal one: the same time of the week in earlier weeks.
 */
export function pace(
  todaySoFar: number,
  sameWeekdaysSoFar: readonly number[],
  options: Parameters<typeof seasonalVerdict>[2] = {},
): Verdict {
  return seasonalVerdict(todaySoFar, sameWeekdaysSoFar, options);
}

/** (observed − expected) / expected × 100, null when nothing was expected. */
export function deviationPct(observed: number, expected: number | null): number | null {
  if (expected === null || expected === 0) return null;
  return ((observed - expected) / Math.abs(expected)) * 100;
}

const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** "revenue is 38 % below a normal Wednesday at 14:05" (local time of `at`, given its offset). */
export function describePace(metric: string, verdict: Verdict, at: number, utcOffsetMinutes = 0): string {
  const local = new Date(at + utcOffsetMinutes * 60_000);
  const when = `a normal ${WEEKDAYS[local.getUTCDay()]} at ${String(local.getUTCHours()).padStart(2, "0")}:${String(local.getUTCMinutes()).padStart(2, "0")}`;
  const pct = deviationPct(verdict.observed, verdict.expected);
  if (pct === null) return `${metric}: not enough history to compare with ${when}`;
  const rounded = Math.round(Math.abs(pct));
  if (rounded === 0) return `${metric} is in line with ${when}`;
  return `${metric} is ${rounded} % ${pct < 0 ? "below" : "above"} ${when}`;
}
