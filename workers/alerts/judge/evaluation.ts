/**
 * What one evaluation of a rule answers (the types every condition shares), and the small helpers
 * the conditions build it with: the same window in earlier weeks, a median.
 */
import type { Detector, Verdict } from "../detect/detector.ts";
import { type Measures, type SliceHistory, windowSum } from "../series.ts";

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
export const WEEK = 7 * DAY;
const BASELINE_WEEKS = 8;

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

export type Sensitivity = "low" | "medium" | "high";

/** An evaluation with the defaults of one that judged nothing. */
export function result(partial: Partial<Evaluation> & Pick<Evaluation, "window" | "summary">): Evaluation {
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

/** The same window in the earlier weeks (up to eight) that history covers. */
export function earlierWeeks(
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

/** Median of a list (0 when empty). */
export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? 0
    : s.length % 2
      ? s[s.length >> 1]!
      : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
