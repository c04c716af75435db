/**
 * The life of an alert on one rule × slice (pure): ok → pending → firing → resolved, with
 * hysteresis both ways (fire after `for_updates` breaching evaluations in a row, resolve after
 * `resolve_after` clear ones), a cooldown after resolving, and re-notification while firing.
 * Each incident gets one `alert_id` at the moment it fires and keeps it until it resolves.
 */
import type { Evaluation } from "./evaluate.ts";
import type { Rule } from "./rules.ts";

export type Status = "ok" | "pending" | "firing" | "resolved";

export interface AlertState {
  status: Status;
  /** Breaching evaluations in a row (towards firing). */
  breaches: number;
  /** Clear evaluations in a row while firing (towards resolving). */
  clears: number;
  alertId: string | null;
  startedAt: number | null;
  lastNotifiedAt: number | null;
  resolvedAt: number | null;
}

export const INITIAL: AlertState = {
  status: "ok",
  breaches: 0,
  clears: 0,
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
      const next = { ...state, clears: 0, lastNotifiedAt: due ? now : state.lastNotifiedAt };
      return {
        state: next,
        transition: due ? { kind: "renotify", alertId, startedAt, endedAt: null, at: now } : null,
      };
    }
    const clears = state.clears + 1;
    if (clears < policy.resolve_after) return { state: { ...state, clears }, transition: null };
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
