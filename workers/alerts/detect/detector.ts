/**
 * What every detector is: a streaming function from one point to a verdict that uses only the
 * points before it (and the point itself). The room, the rule preview and `npm run detect` all
 * drive detectors through this one interface, so an offline score is the score the room computes.
 */

export interface Point {
  /** Epoch milliseconds. */
  t: number;
  value: number;
}

export interface Verdict {
  /** How unusual the point is, in [0, 1]: 0 ordinary, near 1 very unlikely under the baseline. */
  score: number;
  observed: number;
  /** What the baseline expected; null while warming up. */
  expected: number | null;
  /** Signed deviation from `expected` in units of the baseline's spread; null while warming up. */
  z: number | null;
  /** `warming_up` until the baseline has enough history to judge; its score is then 0. */
  state: "warming_up" | "ready";
  /** Points of history behind the verdict (for a seasonal baseline: in this point's season slot). */
  history: number;
}

export interface Detector {
  next(point: Point): Verdict;
}

export function warmingUp(point: Point, history: number): Verdict {
  return { score: 0, observed: point.value, expected: null, z: null, state: "warming_up", history };
}
