/**
 * A general streaming detector for series with no known rhythm (the one scored on NAB).
 *
 * Values are cut into a few bands between the min and max of the recent past, and the detector
 * remembers which band followed each pair of bands. A point is surprising when
 * - it lands outside the recent range (a new extreme: about 1 in (values seen + 1) under a stable
 *   process, rarer the further out it lands), or
 * - its band has rarely or never followed the two before it, after that pair has been seen often:
 *   a normal-looking value in an abnormal shape (a daily cycle that stops, a flat stretch).
 * A point only scores fully when it beats every score of the last `rest` points, so one incident
 * raises one alarm rather than a volley. The verdict's `expected` and `z` (median and robust spread
 * of the recent past) say how far off the value is, for people; they do not drive the score.
 */
import { type Detector, type Point, type Verdict, warmingUp } from "./detector.ts";
import { mad, meanStd, median, Ring } from "./stats.ts";

export interface StreamingOptions {
  /** Recent values the bands' range is taken from. */
  rangeWindow: number;
  /** Number of value bands. */
  bands: number;
  /** Previous bands that form a point's context. */
  context: number;
  /** Recent values `expected` (their median) and `z` are computed from. */
  levelWindow: number;
  /** Points after a score during which only a higher score counts fully. */
  rest: number;
  /** What a score that does not beat the last `rest` scores is multiplied by. */
  damp: number;
  /** No verdict before this many points. */
  minHistory: number;
}

export const STREAMING_DEFAULTS: StreamingOptions = {
  rangeWindow: 2000,
  bands: 4,
  context: 2,
  levelWindow: 200,
  rest: 100,
  damp: 0.5,
  minHistory: 50,
};

export function streamingDetector(options: Partial<StreamingOptions> = {}): Detector {
  const opts = { ...STREAMING_DEFAULTS, ...options };
  const range = new Ring(opts.rangeWindow);
  const level = new Ring(opts.levelWindow);
  const recentScores = new Ring(opts.rest);
  const transitions = new Map<string, number[]>();
  let context: number[] = [];

  const bandOf = (value: number, lo: number, hi: number) =>
    hi > lo ? Math.min(opts.bands - 1, Math.max(0, Math.floor(((value - lo) / (hi - lo)) * opts.bands))) : 0;

  /** How surprising `x` is given the range and the transition memory; learns the transition. */
  function surprise(x: number): number {
    const span = range.values();
    const lo = span.length ? Math.min(...span) : x;
    const hi = span.length ? Math.max(...span) : x;
    const key = context.join(",");
    const counts = transitions.get(key) ?? new Array<number>(opts.bands).fill(0);
    let result: number;
    if (x < lo || x > hi) {
      const width = Math.max(hi - lo, 1e-12);
      const excess = x < lo ? lo - x : x - hi;
      result = 1 - (1 / (span.length + 1)) * (width / (width + excess));
      context = [...context, bandOf(x, Math.min(lo, x), Math.max(hi, x))].slice(-opts.context);
    } else {
      const band = bandOf(x, lo, hi);
      const total = counts.reduce((a, b) => a + b, 0);
      result = 1 - (counts[band]! + 0.5) / (total + 0.5 * opts.bands);
      counts[band]! += 1;
      transitions.set(key, counts);
      context = [...context, band].slice(-opts.context);
    }
    range.push(x);
    return result;
  }

  return {
    next(point: Point): Verdict {
      const x = point.value;
      const history = level.values();
      level.push(x);
      const raw = surprise(x);
      if (history.length < opts.minHistory) return warmingUp(point, history.length);
      const before = recentScores.size ? Math.max(...recentScores.values()) : 0;
      recentScores.push(raw);
      const score = raw > before ? raw : raw * opts.damp;
      const center = median(history);
      const spread = Math.max(mad(history, center), 0.1 * meanStd(history).std, 1e-12);
      return {
        score,
        observed: x,
        expected: center,
        z: (x - center) / spread,
        state: "ready",
        history: history.length,
      };
    },
  };
}
