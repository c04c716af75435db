/**
 * The alert engine inside the live room (the `RuleEvaluator` behind `workers/live/rules.ts`): on
 * every update it evaluates each enabled rule on its slices from memory — the room's minutes and
 * days plus hourly history loaded once from Postgres — steps the lifecycle, and puts transitions on
 * the `alert-deliveries` queue. Nothing slow runs on the update's path: rules, history and firing
 * incidents load in the background and the slice waits ("warming up") until they are there.
 *
 * Firing state outlives the room: the incidents table is the record, reloaded at start, so an
 * evicted or restarted room resolves the alert it had fired instead of firing it again.
 */
import { and, eq, gte } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-serverless";
import { alertIncidents } from "../../drizzle/alerts.ts";
import { kpiDaySlice } from "../../drizzle/schema.ts";
import { withDb } from "../db/client.ts";
import { daysBefore, type LiveDim, type Slice, sliceKey } from "../live/buckets.ts";
import type { RoomReader } from "../live/room-store.ts";
import type { LiveUpdate, RuleEvaluator } from "../live/rules.ts";
import { createDetector } from "./detect/index.ts";
import { type Evaluation, evaluateRule, type StreamingFeed } from "./evaluate.ts";
import { explain, type MemberHistory } from "./explain.ts";
import { readSliceHistory, utcOffsetMinutes } from "./history-store.ts";
import { type AlertState, INITIAL, step, type Transition } from "./lifecycle.ts";
import type { AlertMessage } from "./messages.ts";
import { type AlertPayload, dashboardUrl } from "./payload.ts";
import type { Rule, RuleFilters } from "./rules.ts";
import { momentAt } from "./simulate.ts";
import { SliceMemory } from "./slice-memory.ts";
import { listRules } from "./store.ts";

const RULES_TTL_MS = 10_000;
const HISTORY_TTL_MS = 6 * 3_600_000;
const HISTORY_WEEKS = 8;
const EXPLAIN_DIMS: LiveDim[] = ["region", "segment", "category"];

export interface EngineEnv {
  DATABASE_URL: string;
  PG_WS_PROXY?: string;
  REPORTING_TZ: string;
  PUBLIC_URL?: string;
  ALERTS_QUEUE: Queue<AlertMessage>;
}

const filtersOf = (slice: Slice): RuleFilters => (slice.dim === "all" ? {} : { [slice.dim]: slice.member });

function inQuietHours(rule: Rule, now: number, offsetMinutes: number): boolean {
  if (!rule.quiet_hours) return false;
  const minutes = (h: string) => Number(h.slice(0, 2)) * 60 + Number(h.slice(3));
  const local = Math.floor(((now / 60_000 + offsetMinutes) % 1440) + 1440) % 1440;
  const from = minutes(rule.quiet_hours.from);
  const to = minutes(rule.quiet_hours.to);
  return from <= to ? local >= from && local < to : local >= from || local < to;
}

export class AlertEngine implements RuleEvaluator {
  private rules: Rule[] | null = null;
  private rulesLoadedAt = 0;
  private rulesLoading: Promise<void> | null = null;
  private firingLoaded = false;
  private readonly memory = new Map<string, SliceMemory>();
  private readonly members = new Map<LiveDim, Set<string>>();
  private readonly states = new Map<string, AlertState>();
  private readonly feeds = new Map<string, StreamingFeed>();
  private loads: Promise<void> = Promise.resolve();
  private readonly env: EngineEnv;

  constructor(env: EngineEnv) {
    this.env = env;
  }

  async evaluate(update: LiveUpdate, room: RoomReader): Promise<void> {
    const now = update.at;
    this.refreshRules(now);
    for (const b of [...update.changed.minutes, ...update.changed.days]) this.learnMember(b);
    for (const b of update.changed.minutes) this.memory.get(sliceKey(b))?.applyMinute(b);
    for (const b of update.changed.days) this.memory.get(sliceKey(b))?.applyDay(b);
    if (!this.rules || !this.firingLoaded) return;
    const offset = utcOffsetMinutes(this.env.REPORTING_TZ, now);
    for (const rule of this.rules) {
      if (!rule.enabled) continue;
      for (const slice of this.slicesOf(rule)) {
        // Until its hourly history is loaded a slice is judged on the room's 48 hours alone
        // (seasonal baselines say they are warming up).
        const mem = this.sliceMemory(slice, room, now, update.today);
        await this.evaluateOne(rule, slice, mem, update, offset);
      }
    }
  }

  private async evaluateOne(rule: Rule, slice: Slice, mem: SliceMemory, update: LiveUpdate, offset: number) {
    const now = update.at;
    const key = `${rule.id}|${sliceKey(slice)}`;
    const feed = this.feeds.get(key) ?? { detector: createDetector("streaming"), nextMinute: 0, last: null };
    this.feeds.set(key, feed);
    const evaluation = evaluateRule(rule, mem.history(now), momentAt(now, offset), feed);
    const result = step(this.states.get(key) ?? INITIAL, evaluation, rule, now, () => crypto.randomUUID());
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
    const members: MemberHistory[] = slice.dim !== "all" ? [] : this.explainMembers(update.at);
    const payload = buildPayload(
      rule,
      slice,
      t,
      evaluation,
      explain(rule.metric, evaluation, members),
      update.seq,
      this.env.PUBLIC_URL,
    );
    const message: AlertMessage = {
      type: "transition",
      kind: t.kind,
      slice: sliceKey(slice),
      notify: !inQuietHours(rule, update.at, offset),
      channels: rule.channels,
      payload,
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

  private slicesOf(rule: Rule): Slice[] {
    if (rule.per)
      return [...(this.members.get(rule.per) ?? [])].map((member) => ({ dim: rule.per!, member }));
    const [entry] = Object.entries(rule.filters) as [LiveDim, string][];
    return [entry ? { dim: entry[0], member: entry[1] } : { dim: "all", member: "" }];
  }

  private learnMember(slice: Slice): void {
    if (slice.dim === "all") return;
    const set = this.members.get(slice.dim) ?? new Set<string>();
    set.add(slice.member);
    this.members.set(slice.dim, set);
  }

  /** The slice's memory, hydrated from the room; its history (re)loads in the background. */
  private sliceMemory(slice: Slice, room: RoomReader, now: number, today: string): SliceMemory {
    const key = sliceKey(slice);
    let mem = this.memory.get(key);
    if (!mem) {
      mem = new SliceMemory(slice);
      mem.hydrate(room, now, today);
      this.memory.set(key, mem);
      // Explanations read every member of the other dimensions: load theirs too.
      if (slice.dim === "all")
        for (const dim of EXPLAIN_DIMS)
          for (const member of this.members.get(dim) ?? [])
            this.sliceMemory({ dim, member }, room, now, today);
    }
    if (!mem.loading && now - mem.historyLoadedAt > HISTORY_TTL_MS) {
      const target = mem;
      // One load at a time: a room with many slices must not open a connection per slice at once.
      target.loading = this.loads
        .then(() =>
          withDb(this.env, (db) =>
            readSliceHistory(
              db,
              filtersOf(slice),
              { from: now - HISTORY_WEEKS * 7 * 86_400_000, to: now },
              this.env.REPORTING_TZ,
            ),
          ),
        )
        .then((h) => {
          target.hours = h.hours;
          target.hoursFrom = h.hoursFrom;
          for (const [day, v] of h.days) if (!target.days.has(day)) target.days.set(day, v);
          target.historyLoadedAt = Date.now();
        })
        .catch((error: unknown) =>
          console.error(
            JSON.stringify({ msg: "alert history load failed", slice: key, error: String(error) }),
          ),
        )
        .finally(() => {
          target.loading = null;
        });
      this.loads = target.loading;
    }
    mem.prune(now);
    return mem;
  }

  private refreshRules(now: number): void {
    if (this.rulesLoading || now - this.rulesLoadedAt < RULES_TTL_MS) return;
    this.rulesLoading = withDb(this.env, async (db) => {
      const rules = await listRules(db);
      if (!this.firingLoaded) {
        await this.loadFiring(db, now);
        await this.loadMembers(db, now);
      }
      this.rules = rules;
      this.rulesLoadedAt = Date.now();
    })
      .catch((error: unknown) =>
        console.error(JSON.stringify({ msg: "alert rules load failed", error: String(error) })),
      )
      .finally(() => {
        this.rulesLoading = null;
      });
  }

  private async loadFiring(db: Parameters<typeof listRules>[0], now: number): Promise<void> {
    const rows = await drizzle(db).select().from(alertIncidents).where(eq(alertIncidents.status, "firing"));
    for (const row of rows) {
      const startedAt = row.startedAt.getTime();
      this.states.set(`${row.ruleId}|${row.slice}`, {
        ...INITIAL,
        status: "firing",
        alertId: row.alertId,
        startedAt,
        lastNotifiedAt: now,
      });
    }
    this.firingLoaded = true;
  }

  private async loadMembers(db: Parameters<typeof listRules>[0], now: number): Promise<void> {
    const since = daysBefore(new Date(now).toISOString().slice(0, 10), 35);
    const rows = await drizzle(db)
      .selectDistinct({ dim: kpiDaySlice.dim, member: kpiDaySlice.member })
      .from(kpiDaySlice)
      .where(and(gte(kpiDaySlice.day, since)));
    for (const { dim, member } of rows)
      if ((EXPLAIN_DIMS as string[]).includes(dim)) this.learnMember({ dim: dim as LiveDim, member });
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
