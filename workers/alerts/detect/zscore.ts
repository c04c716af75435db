/**
 * The seed's rule as a detector: the value against the mean ± k·σ of the previous `window` values
 * (the dashboard's `is_anomaly` is the daily revenue against its 30-day rolling mean ± 2σ). Kept as
 * the reference point: it is fooled by any rhythm (a Sunday is "anomalous" against weekdays) and by
 * outliers inside its own window.
 */
import { type Detector, type Point, type Verdict, warmingUp } from "./detector.ts";
import { meanStd, Ring, scoreOfZ } from "./stats.ts";

export interface ZScoreOptions {
  /** Values in the rolling window (30 daily values in the seed's rule). */
  window: number;
  /** No verdict before this many values of history. */
  minHistory: number;
}

export const SEED_ZSCORE: ZScoreOptions = { window: 30, minHistory: 7 };

export function zscoreDetector(options: ZScoreOptions = SEED_ZSCORE): Detector {
  const ring = new Ring(options.window);
  return {
    next(point: Point): Verdict {
      const history = ring.values();
      ring.push(point.value);
      if (history.length < options.minHistory) return warmingUp(point, history.length);
      const { mean, std } = meanStd(history);
      // A flat window: any move away from it is as surprising as it gets.
      const z =
        std > 0 ? (point.value - mean) / std : point.value === mean ? 0 : Math.sign(point.value - mean) * 1e6;
      return {
        score: scoreOfZ(z),
        observed: point.value,
        expected: mean,
        z,
        state: "ready",
        history: history.length,
      };
    },
  };
}
