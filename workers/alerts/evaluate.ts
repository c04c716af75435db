/**
 * One evaluation of a rule on a slice's history at a moment (pure): is the condition breached,
 * with the figures a person needs (observed, expected, deviation) and a sentence saying it.
 *
 * Windows end at `now`. "hour" is the trailing 60 minutes, "day_so_far" runs from the reporting
 * day's midnight. Seasonal baselines are the same window in up to eight earlier weeks. Each kind
 * of condition lives in `judge/`: the plain conditions, the live seasonal rule and its noise
 * model, the other anomaly detectors; this module only picks one.
 */

import { change, noData, threshold } from "./judge/conditions.ts";
import type { Evaluation, Moment, StreamingFeed } from "./judge/evaluation.ts";
import { anomalyStreaming, anomalyZscore } from "./judge/other-anomalies.ts";
import { anomalySeasonal } from "./judge/seasonal-windows.ts";
import type { Rule } from "./rules.ts";
import type { SliceHistory } from "./series.ts";

export type { Evaluation, EvaluationState, Moment, StreamingFeed } from "./judge/evaluation.ts";

/** Evaluates `rule` on one slice's history at `moment`. */
export function evaluateRule(rule: Rule, h: SliceHistory, moment: Moment, feed?: StreamingFeed): Evaluation {
  const c = rule.condition;
  switch (c.type) {
    case "threshold":
      return threshold(rule, c, h, moment);
    case "change":
      return change(rule, c, h, moment);
    case "no_data":
      return noData(rule, c, h, moment);
    case "anomaly":
      if (c.detector === "zscore") return anomalyZscore(rule, h, moment, c.sensitivity);
      if (c.detector === "streaming") {
        if (!feed) throw new Error("a streaming anomaly rule needs its feed");
        return anomalyStreaming(rule, h, moment, feed, c.sensitivity);
      }
      return anomalySeasonal(rule, h, moment, c.sensitivity);
  }
}
