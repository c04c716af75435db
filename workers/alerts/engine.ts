/**
 * The alert engine inside the live room (the `RuleEvaluator` behind `workers/live/rules.ts`): on
 * every update it evaluates each enabled rule on its slices from memory — the room's minutes and
 * days plus hourly history from Postgres — steps the lifecycle, and puts transitions on the
 * `alert-deliveries` queue. Nothing slow runs on the update's path: rules, history and firing
 * incidents load in the background (`loader.ts`); until a slice's history is there its seasonal
 * baselines say they are warming up.
 *
 * Firing state outlives the room: the incidents table is the record, read with the rules, so an
 * evicted or restarted room resolves the alert it had fired instead of firing it again.
 */
import { type LiveDim, type Slice, sliceKey } from "../live/buckets.ts";
import type { RoomReader } from "../live/room-store.ts";
import type { LiveUpdate, RuleEvaluator } from "../live/rules.ts";
import { createDetector } from "./detect/index.ts";
import { type Evaluation, evaluateRule, type StreamingFeed } from "./evaluate.ts";
import { explain, type MemberHistory } from "./explain.ts";
import { utcOffsetMinutes } from "./history-store.ts";
import { type AlertState, CONFIRM_MS, INITIAL, judgeAgainAt, step, type Transition } from "./lifecycle.ts";
import { currentHistory, currentRules, MEMBER_DIMS, type RuleSet } from "./loader.ts";
import type { AlertMessage } from "./messages.ts";
import { type AlertPayload, dashboardUrl } from "./payload.ts";
import type { Rule, RuleFilters } from "./rules.ts";
import { momentAt } from "./simulate.ts";
import { SliceMemory } from "./slice-memory.ts";

export interface EngineEnv {
  DATABASE_URL: string;
  PG_WS_PROXY?: string;
  REPORTING_TZ: string;
  PUBLIC_URL?: string;
  ALERTS_QUEUE: Queue<AlertMessage>;
}

/** The engine's memory of a slice is read from the room again after this long. */
const REHYDRATE_MS = 5 * 60_000;
/** An update judges the rules when it changed a minute at most this old. */
const RECENT_MS = 2 * 60_000;

const filtersOf = (slice: Slice): RuleFilters => (slice.dim === "all" ? {} : { [slice.dim]: slice.member });

function inQuietHours(rule: Rule, now: number, offsetMinutes: number): boolean {
  if (!rule.quiet_hours) return false;
  const minutes = (h: string) => Number(h.slice(0, 2)) * 60 + Number(h.slice(3));
  const local = (((Math.floor(now / 60_000) + offsetMinutes) % 1440) + 1440) % 1440;
  const from = minutes(rule.quiet_hours.from);
  const to = minutes(rule.quiet_hours.to);
  return from <= to ? local >= from && local < to : local >= from || local < to;
}

/** Whether a rule looks further back than the room's 48 hours (else no history is read for it). */
function needsHistory(rule: Rule): boolean {
  const c = rule.condition;
  if (c.type === "threshold") return false;
  if (c.type === "change") return c.vs === "same_time_last_week";
  return true;
}

export class AlertEngine implements RuleEvaluator {
  private readonly memory = new Map<string, SliceMemory>();
  private readonly seen = new Map<LiveDim, Set<string>>();
  private readonly states = new Map<string, AlertState>();
  private readonly feeds = new Map<string, StreamingFeed>();
  private readonly env: EngineEnv;
  private latest: LiveUpdate | null = null;
  private running: Promise<void> | null = null;
  private lastUpdate: LiveUpdate | null = null;
  private lastRun = 0;
  private confirmation: ReturnType<typeof setTimeout> | null = null;

  constructor(env: EngineEnv) {
    this.env = env;
  }

  /**
   * Takes the update into memory at once and evaluates in the background, so the room's write (and
   * the consumer waiting on it) never waits for the rules. Updates arriving while an evaluation
   * runs fold into one more run, on the latest values.
   */
  evaluate(update: LiveUpdate, room: RoomReader): void {
    for (const b of [...update.changed.minutes, ...update.changed.days]) this.learnMember(b);
    for (const b of update.changed.minutes) this.memory.get(sliceKey(b))?.applyMinute(b);
    for (const b of update.changed.days) this.memory.get(sliceKey(b))?.applyDay(b);
    // Alerts judge the present: an update that only fills in the past (a history load, a late
    // correction) is remembered but judged nothing on — its "last 15 minutes" are a gap, not a drop.
    const recent = update.at - RECENT_MS;
    if (!update.changed.minutes.some((b) => b.minute * 1000 >= recent)) return;
    this.run(update, room);
  }

  private run(update: LiveUpdate, room: RoomReader): void {
    this.latest = update;
    this.lastUpdate = update;
    if (this.running) return;
    this.running = (async () => {
      while (this.latest) {
        const next = this.latest;
        this.latest = null;
        this.lastRun = Date.now();
        await this.evaluateAll(next, room).catch((error: unknown) =>
          console.error(
            JSON.stringify({ msg: "alert evaluation failed", seq: next.seq, error: String(error) }),
          ),
        );
      }
      this.running = null;
      this.awaitConfirmation(room);
    })();
  }

  /**
   * A breach waiting for its confirmation is judged again `CONFIRM_MS` after the evaluation that
   * found it, from a timer of the engine's own: the room's alarm comes late while its handler is
   * busy (a recomputation reads Postgres for a second or more under load). A timer of a second, only
   * while something is pending, does not keep an idle room from being evicted; a firing alert's
   * 15 s re-judgement, which may go on for hours, stays on the alarm.
   */
  private awaitConfirmation(room: RoomReader): void {
    if (this.confirmation || ![...this.statuses()].includes("pending")) return;
    this.confirmation = setTimeout(
      () => {
        this.confirmation = null;
        this.tick(room);
        // Not due yet (an update's evaluation came in between and moved it): wait for the new time.
        if (!this.running) this.awaitConfirmation(room);
      },
      Math.max(0, this.lastRun + CONFIRM_MS - Date.now()),
    );
  }

  /**
   * When the room should call `tick` (its alarm): within a second of the last evaluation while a
   * breach waits for its confirmation, every 15 s while anything fires (see `judgeAgainAt`), null
   * when nothing is pending or firing (an idle room stays idle) — and while an evaluation runs: the
   * room asks again once it is done (`idle`), so an alarm never comes while it would find the
   * engine busy, nor is it pushed past the time it is due (it once was, and never came). An alarm
   * rather than a timer: a timer would keep the room from being evicted.
   */
  dueAt(): number | null {
    if (this.running || !this.lastUpdate) return null;
    return judgeAgainAt(this.statuses(), this.lastRun);
  }

  /** Judges again without an update (the room's alarm, when `dueAt` has come). */
  tick(room: RoomReader): void {
    const due = this.dueAt();
    const now = Date.now();
    if (due === null || now < due - 100 || !this.lastUpdate) return;
    const today = momentAt(now, utcOffsetMinutes(this.env.REPORTING_TZ, now)).today;
    this.run({ seq: this.lastUpdate.seq, today, changed: { minutes: [], days: [] }, at: now }, room);
  }

  private *statuses() {
    for (const state of this.states.values()) yield state.status;
  }

  /** Resolves when the evaluations under way are done (the room then sets its alarm by `dueAt`). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async evaluateAll(update: LiveUpdate, room: RoomReader): Promise<void> {
    const now = Math.max(update.at, Date.now());
    const set = currentRules(this.env, now);
    if (!set) return;
    const offset = utcOffsetMinutes(this.env.REPORTING_TZ, now);
    for (const rule of set.rules) {
      if (!rule.enabled) continue;
      for (const slice of this.slicesOf(rule, set)) {
        const mem = this.sliceMemory(slice, room, now, update.today, needsHistory(rule));
        await this.evaluateOne(rule, slice, mem, set, { ...update, at: now }, offset);
      }
    }
  }

  private async evaluateOne(
    rule: Rule,
    slice: Slice,
    mem: SliceMemory,
    set: RuleSet,
    update: LiveUpdate,
    offset: number,
  ) {
    const now = update.at;
    const key = `${rule.id}|${sliceKey(slice)}`;
    const feed = this.feeds.get(key) ?? { detector: createDetector("streaming"), nextMinute: 0, last: null };
    this.feeds.set(key, feed);
    const evaluation = evaluateRule(rule, mem.history(now), momentAt(now, offset), feed);
    const firing = set.firing.get(key);
    const known =
      this.states.get(key) ??
      (firing
        ? {
            ...INITIAL,
            status: "firing" as const,
            alertId: firing.alertId,
            startedAt: firing.startedAt,
            lastNotifiedAt: now,
          }
        : INITIAL);
    const result = step(known, evaluation, rule, now, () => crypto.randomUUID());
    this.states.set(key, result.state);
    if (result.transition) await this.send(rule, slice, result.transition, evaluation, update, offset);
  }

  private async send(
    rule: Rule,
    slice: Slice,
    t: Transition,
    evaluation: Evaluation,
    update: LiveUpdate,
    offset: number,
  ) {
    const members: MemberHistory[] = slice.dim === "all" ? this.explainMembers(update.at) : [];
    const explanation = explain(rule.metric, evaluation, members);
    const message: AlertMessage = {
      type: "transition",
      kind: t.kind,
      slice: sliceKey(slice),
      notify: !inQuietHours(rule, update.at, offset),
      channels: rule.channels,
      payload: buildPayload(rule, slice, t, evaluation, explanation, update.seq, this.env.PUBLIC_URL),
    };
    try {
      await this.env.ALERTS_QUEUE.send(message);
    } catch (error) {
      console.error(
        JSON.stringify({ msg: "alert transition not queued", alert_id: t.alertId, error: String(error) }),
      );
    }
  }

  private explainMembers(now: number): MemberHistory[] {
    const out: MemberHistory[] = [];
    for (const mem of this.memory.values()) {
      if (mem.slice.dim === "all" || mem.hoursFrom === Number.POSITIVE_INFINITY) continue;
      out.push({ dimension: mem.slice.dim, member: mem.slice.member, history: mem.history(now) });
    }
    return out;
  }

  private slicesOf(rule: Rule, set: RuleSet): Slice[] {
    if (rule.per) {
      const members = new Set([...(set.members.get(rule.per) ?? []), ...(this.seen.get(rule.per) ?? [])]);
      return [...members].map((member) => ({ dim: rule.per!, member }));
    }
    const [entry] = Object.entries(rule.filters) as [LiveDim, string][];
    return [entry ? { dim: entry[0], member: entry[1] } : { dim: "all", member: "" }];
  }

  private learnMember(slice: Slice): void {
    if (slice.dim === "all") return;
    const set = this.seen.get(slice.dim) ?? new Set<string>();
    set.add(slice.member);
    this.seen.set(slice.dim, set);
  }

  /** The slice's memory (hydrated from the room once) with the latest hourly history attached. */
  private sliceMemory(
    slice: Slice,
    room: RoomReader,
    now: number,
    today: string,
    history = true,
  ): SliceMemory {
    const key = sliceKey(slice);
    let mem = this.memory.get(key);
    if (!mem) {
      mem = new SliceMemory(slice);
      mem.hydrate(room, now, today);
      this.memory.set(key, mem);
      // A whole-business alert is explained by the members of each dimension: keep theirs too.
      if (slice.dim === "all") {
        for (const dim of MEMBER_DIMS)
          for (const member of this.seen.get(dim) ?? [])
            this.sliceMemory({ dim, member }, room, now, today, history);
      }
    } else if (now - mem.hydratedAt > REHYDRATE_MS) mem.hydrate(room, now, today);
    const loaded = history ? currentHistory(this.env, slice, now) : null;
    if (loaded) mem.attach(loaded);
    mem.prune(now);
    return mem;
  }
}

export function buildPayload(
  rule: Rule,
  slice: Slice,
  t: Transition,
  e: Evaluation,
  explanation: AlertPayload["explanation"],
  seq: number | null,
  publicUrl = "http://127.0.0.1:8787",
): AlertPayload {
  const iso = (ms: number) => new Date(ms).toISOString();
  const filters = filtersOf(slice);
  return {
    type: "alert",
    status: t.kind === "resolved" ? "resolved" : "firing",
    alert_id: t.alertId,
    rule: { id: rule.id, name: rule.name },
    metric: rule.metric,
    filters,
    condition: rule.condition,
    observed: e.observed,
    expected: e.expected,
    deviation_pct: e.deviationPct,
    score: Math.min(1, Math.max(0, e.score)),
    started_at: iso(t.startedAt),
    ended_at: t.endedAt === null ? null : iso(t.endedAt),
    summary: e.summary,
    explanation,
    dashboard_url: dashboardUrl(publicUrl, filters, iso(t.startedAt)),
    sources: {
      window: { from: iso(e.window.from), to: iso(e.window.to) },
      baseline: e.baseline.map((b) => ({ from: iso(b.from), to: iso(b.to) })),
      data: "live room minute buckets (kpi_minute_slice) + hourly sums of silver_sales_clean through the semantic model",
      room_seq: seq,
      evaluated_at: iso(t.at),
    },
    ...(t.kind === "renotify" ? { renotify: true } : {}),
  };
}
