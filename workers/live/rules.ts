/**
 * The seam where alert rules plug into the live room. The room calls `evaluate` once per update
 * that changed something — after storing it and scheduling the fan-out, so a slow or failing rule
 * never delays a dashboard — with the changed buckets and read access to every window it holds
 * (rolling sums, the same minute yesterday, the last 30 days…).
 *
 * The alert engine (`workers/alerts/engine.ts`) implements `RuleEvaluator`: it reads its rules
 * from Postgres and sends what fires to the alerts queue.
 */
import { AlertEngine } from "../alerts/engine.ts";
import type { AlertMessage } from "../alerts/messages.ts";
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
  /** When the room's alarm should call `tick` (epoch ms), or null: rules judged without an update. */
  dueAt?(): number | null;
  tick?(room: RoomReader): void;
  /**
   * Resolves when the evaluations under way are done. Rules judge in the background, so the room
   * sets its alarm by `dueAt` again then: a breach that just turned pending is confirmed on time
   * even when no other update comes.
   */
  idle?(): Promise<void>;
}

export const noRules: RuleEvaluator = { evaluate() {} };

/** The evaluator a room uses. */
export function ruleEvaluatorFor(env: Env): RuleEvaluator {
  return new AlertEngine({ ...env, ALERTS_QUEUE: env.ALERTS_QUEUE as Queue<AlertMessage> });
}
