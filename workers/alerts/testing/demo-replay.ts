/**
 * The live demo replayed through the rule engine's evaluation (pure, no servers): the demo
 * company's stream for a seed and speed — its history, then the live minutes with the staged
 * incidents — summed per slice as the room and Postgres hold it (minutes for the last 48 hours,
 * hours before), and the default rules judged when the room would judge them: on every sale as it
 * arrives, and when `judgeAgainAt` says while a rule × slice is pending or firing (the engine's own tick).
 * What a newcomer running `npm start` sees, minute by minute, without waiting for it.
 */
import { REGION_CODES } from "../../../scripts/demo/catalog.ts";
import { type Incident, IncidentPlan } from "../../../scripts/demo/incidents.ts";
import { DemoStream } from "../../../scripts/demo/stream.ts";
import { DEFAULT_RULES } from "../../../scripts/lib/alert-defaults.ts";
import { type Evaluation, evaluateRule } from "../evaluate.ts";
import { type AlertState, INITIAL, judgeAgainAt, step } from "../lifecycle.ts";
import { type Rule, ruleInputSchema } from "../rules.ts";
import { add, type Measures, type SliceHistory, ZERO } from "../series.ts";
import { momentAt } from "../simulate.ts";

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

export interface ReplayOptions {
  seed?: number;
  speed: number;
  /** When the live demo starts (epoch ms); the history is the 90 days before, as `npm start` loads it. */
  liveStart: number;
  /** How long to replay after the live start. */
  minutes: number;
  /** Staged incidents on (every `everyMinutes`) or off. */
  incidents?: boolean;
  everyMinutes?: number;
  historyDays?: number;
}

export interface ReplayedTransition {
  rule: string;
  slice: string;
  kind: "firing" | "resolved" | "renotify";
  alertId: string;
  at: number;
  evaluation: Evaluation;
}

export interface Replay {
  plan: IncidentPlan | null;
  /** Staged incidents that started within the replay. */
  incidents: Incident[];
  transitions: ReplayedTransition[];
  evaluations: number;
  sales: number;
  /** A slice's history as it stood at the end of the replay (\`all\`, \`region:NA\`…), judged at \`now\`. */
  history: (slice: string, now: number) => SliceHistory;
}

export const defaultRules = (): Rule[] =>
  DEFAULT_RULES.map((d) => ({
    ...ruleInputSchema.parse({
      name: d.name,
      metric: d.metric,
      per: d.per,
      condition: { type: "anomaly", detector: "seasonal", sensitivity: "medium" },
      channels: ["outbox"],
    }),
    id: d.id,
    version: 1,
  }));

interface SliceSums {
  hours: Map<number, Measures>;
  minutes: Map<number, Measures>;
}

const sliceKeys = ["all", ...REGION_CODES.map((r) => `region:${r}`)];

/** What one sale adds to the sums. */
const measures = (p: Record<string, unknown>): Measures => {
  const revenue = Number(p.quantity) * Number(p.unit_price);
  return {
    orders: 1,
    quantity: Number(p.quantity),
    revenue,
    netRevenue: revenue - Number(p.discount ?? 0),
    costs: Number(p.quantity) * Number(p.unit_cost ?? 0),
  };
};

/**
 * The demo's sales summed per slice by hour and minute, as Postgres and the room hold them:
 * `take(t)` takes every event before `t` in (corrections replace a sale, deletions remove it) and
 * answers the times of the sales among them; `history` is a slice's history as the engine sees it.
 */
function salesLedger(stream: DemoStream, epoch: number) {
  const sums = new Map<string, SliceSums>(
    sliceKeys.map((k) => [k, { hours: new Map(), minutes: new Map() }]),
  );
  // The sale as it stands (corrections replace it), to take its old values out again.
  const sales = new Map<unknown, { at: number; region: string; m: Measures }>();
  const put = (at: number, region: string, m: Measures, sign: 1 | -1) => {
    for (const key of ["all", `region:${region}`]) {
      const s = sums.get(key);
      if (!s) continue;
      const hour = Math.floor(at / HOUR) * HOUR;
      const minute = Math.floor(at / MINUTE) * MINUTE;
      s.hours.set(hour, add(s.hours.get(hour) ?? ZERO, m, sign));
      s.minutes.set(minute, add(s.minutes.get(minute) ?? ZERO, m, sign));
    }
  };
  const take = (t: number): number[] => {
    const times: number[] = [];
    for (const e of stream.until(t)) {
      if (e.entity !== "sale") continue;
      const p = e.payload;
      const known = sales.get(p.sale_id);
      if (known) put(known.at, known.region, known.m, -1);
      if (e.event_type === "DELETE") {
        sales.delete(p.sale_id);
        continue;
      }
      const at = known?.at ?? Date.parse(String(p.sale_timestamp));
      const region = known?.region ?? String(p.region);
      const m = measures(p);
      sales.set(p.sale_id, { at, region, m });
      put(at, region, m, 1);
      times.push(Date.parse(e.event_timestamp));
    }
    return times;
  };
  // Postgres' hours as the engine last loaded them (at the live start: it reloads every 6 hours).
  const history = (key: string, now: number): SliceHistory => {
    const s = sums.get(key)!;
    return {
      hours: s.hours,
      hoursFrom: epoch,
      minutes: s.minutes,
      minutesFrom: now - 48 * HOUR,
      days: new Map(),
    };
  };
  return { take, history };
}

/** The default rules judged on every slice at a moment, through the lifecycle, as the engine does. */
function liveJudge(history: (key: string, now: number) => SliceHistory) {
  const rules = defaultRules();
  const states = new Map<string, AlertState>();
  const transitions: ReplayedTransition[] = [];
  let evaluations = 0;
  let counter = 0;
  const judge = (now: number) => {
    for (const rule of rules) {
      for (const key of rule.per ? sliceKeys.filter((k) => k !== "all") : ["all"]) {
        const id = `${rule.id}|${key}`;
        const evaluation = evaluateRule(rule, history(key, now), momentAt(now, 0));
        evaluations++;
        const next = step(states.get(id) ?? INITIAL, evaluation, rule, now, () => `alert-${++counter}`);
        states.set(id, next.state);
        if (next.transition) {
          const { kind, alertId } = next.transition;
          transitions.push({ rule: rule.id, slice: key, kind, alertId, at: now, evaluation });
        }
      }
    }
  };
  const statuses = () => [...states.values()].map((s) => s.status);
  return { judge, statuses, transitions, evaluations: () => evaluations };
}

export function replayDemo(options: ReplayOptions): Replay {
  const seed = options.seed ?? 7;
  const historyDays = options.historyDays ?? 90;
  const liveStart = options.liveStart;
  const epoch = Math.floor(liveStart / DAY) * DAY - (historyDays - 1) * DAY;
  const end = liveStart + options.minutes * MINUTE;
  const plan =
    options.incidents === false
      ? null
      : new IncidentPlan({ seed, liveStart, everyMinutes: options.everyMinutes ?? 5 });
  const stream = new DemoStream({ seed, epoch, speed: options.speed, incidents: plan });
  plan?.startAt(liveStart);
  const { take, history } = salesLedger(stream, epoch);
  take(liveStart);
  const live = liveJudge(history);
  // The live demo posts what is due every quarter of a second; the room judges each update, and the
  // engine's tick judges again while something is pending or firing and no update came (when
  // `judgeAgainAt` says, as the room's alarm does).
  let lastJudged = liveStart;
  let salesSeen = 0;
  // (A quarter of a second while something is pending or firing, a second otherwise: an evaluation
  // judges a sale that much later at most.)
  const active = () => live.statuses().some((s) => s === "pending" || s === "firing");
  for (let now = liveStart + 250; now <= end; now += active() ? 250 : 1000) {
    const arrived = take(now).length;
    salesSeen += arrived;
    const due = judgeAgainAt(live.statuses(), lastJudged);
    if (arrived > 0 || (due !== null && now >= due)) {
      live.judge(now);
      lastJudged = now;
    }
  }
  const incidents: Incident[] = [];
  if (plan) {
    for (let k = 0; plan.incident(k).start < end; k++) incidents.push(plan.incident(k));
  }
  return {
    plan,
    incidents,
    transitions: live.transitions,
    evaluations: live.evaluations(),
    sales: salesSeen,
    history,
  };
}
