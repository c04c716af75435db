/**
 * The life of an alert on one rule × slice (pure): ok → pending → firing → resolved, with
 * hysteresis both ways (fire after `for_updates` breaching evaluations in a row, resolve after
 * `resolve_after` clear ones), a cooldown after resolving, and re-notification while firing.
 * Each incident gets one `alert_id` at the moment it fires and keeps it until it resolves.
 *
 * Evaluations come at the pace of the traffic (on every update) and, while something is pending or
 * firing, from the room's alarm (`judgeAgainAt`). The two directions are paced differently:
 * - a breach is confirmed by the next evaluation, which comes within `CONFIRM_MS` even when no
 *   update does (a quiet slice's glitch used to wait for the next sale or the 15 s re-judgement);
 * - a clear evaluation counts towards `resolve_after` only `CLEAR_SPACING_MS` after the last one
 *   that counted, so resolving takes the same time in a rush of traffic (an evaluation every few
 *   hundred milliseconds) as in a quiet hour (one every 15 s): an incident is not declared over
 *   while it is still going on, to fire again once the cooldown is over.
 */
import type { Evaluation } from "./evaluate.ts";
import type { Rule } from "./rules.ts";

export type Status = "ok" | "pending" | "firing" | "resolved";

export interface AlertState {
  status: Status;
  /** Breaching evaluations in a row (towards firing). */
  breaches: number;
  /** Clear evaluations in a row while firing (towards resolving), at most one per `CLEAR_SPACING_MS`. */
  clears: number;
  /** When the last clear evaluation that counted came (epoch ms). */
  lastClearAt: number | null;
  alertId: string | null;
  startedAt: number | null;
  lastNotifiedAt: number | null;
  resolvedAt: number | null;
}

export const INITIAL: AlertState = {
  status: "ok",
  breaches: 0,
  clears: 0,
  lastClearAt: null,
  alertId: null,
  startedAt: null,
  lastNotifiedAt: null,
  resolvedAt: null,
};

export type TransitionKind = "firing" | "resolved" | "renotify";

export interface Transition {
  kind: TransitionKind;
  alertId: string;
  startedAt: number;
  endedAt: number | null;
  at: number;
}

type Policy = Pick<Rule, "for_updates" | "resolve_after" | "cooldown_s" | "renotify_s">;

/** While anything is pending, it is judged again this long after the last evaluation at the latest. */
export const CONFIRM_MS = 1_000;
/**
 * While anything is firing, it is judged again this often even when no update comes: in a slice with
 * an order every few minutes, an alert would otherwise wait for sales to resolve it (and a silence
 * would never be judged again).
 */
export const TICK_MS = 15_000;
/** Clear evaluations count towards resolving at most once per this long (the re-judgement's pace, less timer jitter). */
export const CLEAR_SPACING_MS = TICK_MS - 1_000;

/**
 * When the rules must be judged again without an update, given the status of every rule × slice
 * and when they were last evaluated: soon while anything is pending (its confirmation), every
 * `TICK_MS` while anything fires, never when all is quiet (an idle room stays idle).
 */
export function judgeAgainAt(statuses: Iterable<Status>, lastRun: number): number | null {
  let firing = false;
  for (const status of statuses) {
    if (status === "pending") return lastRun + CONFIRM_MS;
    if (status === "firing") firing = true;
  }
  return firing ? lastRun + TICK_MS : null;
}

/** The next state after one evaluation at `now`, and the transition to notify, if any. */
export function step(
  state: AlertState,
  evaluation: Pick<Evaluation, "breach">,
  policy: Policy,
  now: number,
  newAlertId: () => string,
): { state: AlertState; transition: Transition | null } {
  if (state.status === "firing") {
    const alertId = state.alertId!;
    const startedAt = state.startedAt!;
    if (evaluation.breach) {
      const due =
        policy.renotify_s > 0 && now - (state.lastNotifiedAt ?? startedAt) >= policy.renotify_s * 1000;
      const next = {
        ...state,
        clears: 0,
        lastClearAt: null,
        lastNotifiedAt: due ? now : state.lastNotifiedAt,
      };
      return {
        state: next,
        transition: due ? { kind: "renotify", alertId, startedAt, endedAt: null, at: now } : null,
      };
    }
    // A clear evaluation soon after the last counted one (a rush of updates) adds nothing.
    if (state.lastClearAt !== null && now - state.lastClearAt < CLEAR_SPACING_MS) {
      return { state, transition: null };
    }
    const clears = state.clears + 1;
    if (clears < policy.resolve_after) {
      return { state: { ...state, clears, lastClearAt: now }, transition: null };
    }
    return {
      state: { ...INITIAL, status: "resolved", alertId, startedAt, resolvedAt: now, lastNotifiedAt: now },
      transition: { kind: "resolved", alertId, startedAt, endedAt: now, at: now },
    };
  }
  if (!evaluation.breach) {
    return {
      state: { ...state, status: state.status === "pending" ? "ok" : state.status, breaches: 0 },
      transition: null,
    };
  }
  const breaches = state.breaches + 1;
  const coolingDown = state.resolvedAt !== null && now - state.resolvedAt < policy.cooldown_s * 1000;
  if (breaches < policy.for_updates || coolingDown) {
    return { state: { ...state, status: "pending", breaches }, transition: null };
  }
  const alertId = newAlertId();
  return {
    state: { ...INITIAL, status: "firing", alertId, startedAt: now, lastNotifiedAt: now },
    transition: { kind: "firing", alertId, startedAt: now, endedAt: null, at: now },
  };
}
