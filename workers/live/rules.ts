/**
 * The seam where alert rules plug into the live room. The room calls `evaluate` once per update
 * that changed something — after storing it and scheduling the fan-out, so a slow or failing rule
 * never delays a dashboard — with the changed buckets and read access to every window it holds
 * (rolling sums, the same minute yesterday, the last 30 days…).
 *
 * The alert engine implements `RuleEvaluator` (reading its rules, say, from the room's storage or
 * Postgres, and sending what fires to the alerts queue) and returns it from `ruleEvaluatorFor`.
 * Until then the default evaluates nothing.
 */
import type { LiveBuckets } from "./buckets.ts";
import type { RoomReader } from "./room-store.ts";

export interface LiveUpdate {
  /** The room's sequence number after the update. */
  seq: number;
  /** The reporting day (YYYY-MM-DD) when the update was applied. */
  today: string;
  /** The buckets whose values changed (absolute values). */
  changed: LiveBuckets;
  /** Epoch milliseconds of the update. */
  at: number;
}

export interface RuleEvaluator {
  evaluate(update: LiveUpdate, room: RoomReader): void | Promise<void>;
}

export const noRules: RuleEvaluator = { evaluate() {} };

/** The evaluator a room uses. */
export function ruleEvaluatorFor(_env: Env): RuleEvaluator {
  return noRules;
}
