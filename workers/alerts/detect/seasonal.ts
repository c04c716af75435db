/**
 * The default detector for business series: each point against the same time of the week in the
 * previous weeks (hour-of-week by default), by median and MAD. A Sunday is compared with Sundays
 * and 03:00 with 03:00, so the daily and weekly rhythm is not an anomaly; the median and MAD ignore
 * an odd week in the history (last Tuesday's outage does not become this Tuesday's normal).
 *
 * Warm-up: no verdict until the point's slot has `minWeeks` earlier values.
 */
import { type Detector, type Point, type Verdict, warmingUp } from "./detector.ts";
import { mad, median, scoreOfZ } from "./stats.ts";

const WEEK_MS = 7 * 24 * 3600_000;

export interface SeasonalOptions {
  /** Width of a slot of the week, in minutes (60 = hour-of-week, 1 = minute-of-week). */
  slotMinutes: number;
  /** Weeks of history kept per slot. */
  weeks: number;
  /** Earlier values a slot needs before it judges. */
  minWeeks: number;
  /**
   * Smallest spread, as a share of the expected value: with a very regular history the MAD can
   * be near zero, and a 2 % wobble must not be a 10σ event.
   */
  minRelativeSpread: number;
  /**
   * What one event adds to the value (1 for counts such as orders, the average order value for
   * money), or 0 when unknown. Counts of independent events wobble by about √expected events, so
   * the spread is never below √(expected × unit) (nor one event): 4 orders at an hour that usually
   * has 1 is noise.
   */
  unit: number;
  /** Offset of the reporting timezone from UTC, in minutes (slots follow local time). */
  utcOffsetMinutes: number;
}

export const SEASONAL_DEFAULTS: SeasonalOptions = {
  slotMinutes: 60,
  weeks: 8,
  minWeeks: 3,
  minRelativeSpread: 0.05,
  unit: 0,
  utcOffsetMinutes: 0,
};

export function slotOf(t: number, opts: Pick<SeasonalOptions, "slotMinutes" | "utcOffsetMinutes">): number {
  // 1970-01-01 was a Thursday; shift so slot 0 starts on Monday 00:00 local time.
  const local = t + opts.utcOffsetMinutes * 60_000 + 3 * 24 * 3600_000;
  const inWeek = ((local % WEEK_MS) + WEEK_MS) % WEEK_MS;
  return Math.floor(inWeek / (opts.slotMinutes * 60_000));
}

/** Expected value and robust spread from a slot's history (pure; shared with pacing). */
export function robustBaseline(
  history: readonly number[],
  minRelativeSpread: number,
  unit = 0,
): { expected: number; spread: number } {
  const expected = median(history);
  // A median of a few weeks is itself uncertain (its variance is about π/2n of the data's), which
  // the spread carries too: three Mondays know less than eight.
  const uncertainty = Math.sqrt(1 + Math.PI / (2 * history.length));
  const spread =
    uncertainty *
    Math.max(
      mad(history, expected),
      minRelativeSpread * Math.abs(expected),
      Math.sqrt(Math.max(Math.abs(expected), unit) * unit),
      1e-9,
    );
  return { expected, spread };
}

export function seasonalDetector(options: Partial<SeasonalOptions> = {}): Detector {
  const opts = { ...SEASONAL_DEFAULTS, ...options };
  const slots = new Map<number, Point[]>();
  return {
    next(point: Point): Verdict {
      const slot = slotOf(point.t, opts);
      const kept = (slots.get(slot) ?? []).filter(
        (p) => p.t > point.t - opts.weeks * WEEK_MS && p.t < point.t,
      );
      slots.set(slot, [...kept, point]);
      const weeksSeen = new Set(kept.map((p) => Math.floor((point.t - p.t) / WEEK_MS))).size;
      if (weeksSeen < opts.minWeeks) return warmingUp(point, kept.length);
      return seasonalVerdict(
        point.value,
        kept.map((p) => p.value),
        opts,
      );
    },
  };
}

/**
 * The seasonal judgement of one value against the same time of the week in earlier weeks (any
 * number, ready when there are enough): what `seasonalDetector` does per point, and what the live
 * room does for a trailing window.
 */
export function seasonalVerdict(
  observed: number,
  sameTimeEarlierWeeks: readonly number[],
  options: Partial<Pick<SeasonalOptions, "minWeeks" | "minRelativeSpread" | "unit">> = {},
): Verdict {
  const opts = { ...SEASONAL_DEFAULTS, ...options };
  if (sameTimeEarlierWeeks.length < opts.minWeeks) {
    return {
      score: 0,
      observed,
      expected: null,
      z: null,
      state: "warming_up",
      history: sameTimeEarlierWeeks.length,
    };
  }
  const { expected, spread } = robustBaseline(sameTimeEarlierWeeks, opts.minRelativeSpread, opts.unit);
  const z = (observed - expected) / spread;
  return { score: scoreOfZ(z), observed, expected, z, state: "ready", history: sameTimeEarlierWeeks.length };
}
