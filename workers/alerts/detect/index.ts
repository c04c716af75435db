/**
 * The detectors by name: what a rule's `detector` and `npm run detect -- --detector` choose from.
 * `seasonal` is the default for business series; `streaming` is the general one scored on NAB;
 * `zscore` is the seed's rolling mean ± 2σ, kept as the reference point.
 */
import type { Detector } from "./detector.ts";
import { seasonalDetector } from "./seasonal.ts";
import { streamingDetector } from "./streaming.ts";
import { zscoreDetector } from "./zscore.ts";

export const DETECTORS = ["seasonal", "streaming", "zscore"] as const;
export type DetectorName = (typeof DETECTORS)[number];

export function createDetector(name: DetectorName, utcOffsetMinutes = 0): Detector {
  switch (name) {
    case "seasonal":
      return seasonalDetector({ utcOffsetMinutes });
    case "streaming":
      return streamingDetector();
    case "zscore":
      return zscoreDetector();
  }
}

/**
 * |z| at and beyond which a point breaches, per sensitivity. The zscore detector keeps the seed's
 * 2σ at "medium"; the seasonal baseline's robust spread is tighter, so it asks for more.
 */
export function breachZ(detector: DetectorName, sensitivity: "low" | "medium" | "high"): number {
  const table = detector === "zscore" ? { low: 3, medium: 2, high: 1.5 } : { low: 5, medium: 3.5, high: 2.5 };
  return table[sensitivity];
}

export type { Detector, Point, Verdict } from "./detector.ts";
