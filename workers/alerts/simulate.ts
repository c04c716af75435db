/**
 * Replays a rule over a stretch of history (pure): the evaluation and the lifecycle at regular
 * moments, as the room would have run them. What a rule's preview answers ("when would it have
 * fired?"), and how the tests drive whole incidents.
 */

import { createDetector } from "./detect/index.ts";
import { type Evaluation, evaluateRule, type Moment, type StreamingFeed } from "./evaluate.ts";
import { type AlertState, INITIAL, step, type Transition } from "./lifecycle.ts";
import type { Rule } from "./rules.ts";
import type { SliceHistory } from "./series.ts";

const DAY = 86_400_000;

/** The moment `now` in a timezone `utcOffsetMinutes` from UTC. */
export function momentAt(now: number, utcOffsetMinutes = 0): Moment {
  const local = now + utcOffsetMinutes * 60_000;
  const localMidnight = Math.floor(local / DAY) * DAY;
  return {
    now,
    dayStart: localMidnight - utcOffsetMinutes * 60_000,
    today: new Date(localMidnight).toISOString().slice(0, 10),
    utcOffsetMinutes,
  };
}

export interface SimulatedTransition extends Transition {
  evaluation: Evaluation;
}

/** One replayed evaluation's figures (for a preview plot). */
export interface SimulatedPoint {
  at: number;
  observed: number | null;
  expected: number | null;
  breach: boolean;
}

export interface Simulation {
  transitions: SimulatedTransition[];
  /** Every evaluation's figures, when asked for (`points: true`). */
  points: SimulatedPoint[];
  evaluations: number;
  breaches: number;
  /** Evaluations that gave no verdict (warming up or below the minimum volume). */
  unjudged: number;
  state: AlertState;
}

export function simulate(
  rule: Rule,
  history: SliceHistory,
  range: { from: number; to: number; everyMs: number; utcOffsetMinutes?: number; points?: boolean },
  start: AlertState = INITIAL,
): Simulation {
  let state = start;
  let counter = 0;
  const transitions: SimulatedTransition[] = [];
  const points: SimulatedPoint[] = [];
  const feed: StreamingFeed = { detector: createDetector("streaming"), nextMinute: 0, last: null };
  let evaluations = 0;
  let breaches = 0;
  let unjudged = 0;
  for (let now = range.from; now <= range.to; now += range.everyMs) {
    const evaluation = evaluateRule(rule, history, momentAt(now, range.utcOffsetMinutes), feed);
    evaluations++;
    if (evaluation.breach) breaches++;
    if (range.points) {
      points.push({
        at: now,
        observed: evaluation.observed,
        expected: evaluation.expected,
        breach: evaluation.breach,
      });
    }
    if (evaluation.state !== "ready") unjudged++;
    const next = step(state, evaluation, rule, now, () => `${rule.id}-sim-${++counter}`);
    state = next.state;
    if (next.transition) transitions.push({ ...next.transition, evaluation });
  }
  return { transitions, points, evaluations, breaches, unjudged, state };
}
