/**
 * KpiRoom: the live cache and fan-out of the dashboards. SQLite-backed and using the WebSocket
 * Hibernation API, so an idle room with thousands of open dashboards costs nothing.
 *
 * - The consumer sends, in one RPC per batch, the *absolute* values of the minute and day buckets
 *   it touched; the room keeps per bucket the value with the latest database write time, so a
 *   redelivered or reordered update can never double-count or roll a figure back.
 * - Each update that changes a value gets the next sequence number. Fan-out is coalesced: at most
 *   one frame per 100 ms leaves the room (immediately when the last one is older, else from an
 *   alarm) — never a timer, which would keep the object awake.
 * - Per-socket state (the subscription) lives in the socket's attachment; pings are answered by
 *   the runtime's auto-response without waking the room.
 * - The room rebuilds from its own storage after eviction, fills itself from Postgres when it
 *   starts empty, and accepts corrections from the scheduled reconciliation.
 */
import { DurableObject } from "cloudflare:workers";
import { transaction, withDb } from "../db/client.ts";
import { dayIn } from "../kpi/calendar.ts";
import { readLiveWindow, readTouchedBuckets } from "../pipeline/store/live.ts";
import { recomputeSlices } from "../pipeline/store/rollups.ts";
import {
  DAY_RETENTION,
  daysBefore,
  type LiveBuckets,
  type LiveWindow,
  MINUTE_WINDOW,
  minuteOf,
  sliceKey,
} from "./buckets.ts";
import { nextDayStart, nextHour, windowsOf } from "./clock.ts";
import {
  clientMessage,
  describeIssues,
  PING_FRAME,
  PONG_FRAME,
  PROTOCOL_VERSION,
  type ServerMessage,
  type Snapshot,
} from "./protocol.ts";
import { type Drift, RoomStore } from "./room-store.ts";
import { ROOM_NAME, shardRooms } from "./room-stub.ts";
import { type RuleEvaluator, ruleEvaluatorFor } from "./rules.ts";
import {
  type Attachment,
  filterOf,
  groupKey,
  readAttachment,
  type Subscription,
  subscriptionOf,
} from "./subscription.ts";

/** At most one delta frame per client per this many milliseconds. */
export const COALESCE_MS = 100;
/** A client further behind than this many updates gets a snapshot instead of a delta. */
export const MAX_RESYNC_SEQS = 5_000;
const MAX_MESSAGE_BYTES = 4_096;
/** A recomputation a batch asks for runs at most once per this many milliseconds (a drain goes on at once). */
const RECOMPUTE_EVERY_MS = 1_000;
/**
 * While the queue reports a backlog, a batch's request waits this long (each such request pushes it
 * back): the batches would re-dirty what it recomputes. The batch that drains the queue asks for it
 * at once; should none say so, the deferred run still comes.
 */
const RECOMPUTE_DEFER_MS = 2_000;
/** After a failed recomputation, the next try. */
const RECOMPUTE_RETRY_MS = 2_000;
/**
 * Dirty slices per chunk (one short transaction each): starts at `CHUNK_START`, then adapts so a
 * chunk takes about `CHUNK_TARGET_MS` — batches wait for the slices' lock at most that long.
 */
const CHUNK_START = 400;
const CHUNK_MIN = 50;
const CHUNK_MAX = 8_000;
const CHUNK_TARGET_MS = 300;
/** One alarm runs chunks for about this long, then re-arms itself (frames and other work interleave). */
const DRAIN_SLICE_MS = 1_500;

/** A timed job of the room's alarm. */
interface ScheduledJob {
  name: string;
  /** Epoch ms it is next due at; infinity when there is nothing to do. */
  due(): number;
  run(now: number): void | Promise<void>;
}

/** A recomputation: whether one is due, whether it waits for a backlog, and when it runs. */
interface RecomputeState {
  due: boolean;
  deferred: boolean;
  next: number;
}

export interface DriftReport {
  at: string;
  checked: number;
  drifted: number;
  examples: Drift[];
}

export class KpiRoom extends DurableObject<Env> {
  private readonly store: RoomStore;
  /** Replaceable in tests; the alert engine plugs in through `ruleEvaluatorFor`. */
  rules: RuleEvaluator;
  private lastFlushAt: number;
  private hydrating: Promise<void> | undefined;
  /** Subscriptions by socket, rebuilt lazily from the attachments after hibernation. */
  private readonly subs = new WeakMap<WebSocket, Subscription | null>();

  /**
   * The room's timed jobs, all served by its one alarm: each says when it is next due (infinity:
   * nothing to do) from the room's stored state, so the schedule survives eviction.
   */
  private readonly schedule: readonly ScheduledJob[] = [
    {
      // Alert rules judged again without an update (a pending alert's confirmation, a firing one
      // re-checked). First: it only starts an evaluation in the background, and a confirmation
      // must not wait behind a recomputation's reads of Postgres.
      name: "rules",
      due: () => this.rules.dueAt?.() ?? Number.POSITIVE_INFINITY,
      run: () => {
        this.rules.tick?.(this.store);
        void this.rules.idle?.().then(() => this.armRules());
      },
    },
    {
      // The recomputation the consumer asked for (see `requestRecompute`).
      name: "recompute",
      due: () => {
        const r = this.recomputeState();
        return r.due ? r.next : Number.POSITIVE_INFINITY;
      },
      run: () => this.recompute(),
    },
    {
      // Coalesced fan-out: at most one frame per `COALESCE_MS`.
      name: "flush",
      due: () =>
        this.store.seq() > Number(this.store.meta("flushed_seq") ?? 0)
          ? this.lastFlushAt + COALESCE_MS
          : Number.POSITIVE_INFINITY,
      run: () => this.flush(),
    },
    {
      // Hourly and at each reporting midnight: day roll-over and pruning.
      name: "housekeeping",
      due: () => Number(this.store.meta("housekeeping_due") ?? 0),
      run: (now) => this.housekeeping(now),
    },
  ];

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new RoomStore(ctx.storage.sql);
    this.rules = ruleEvaluatorFor(env);
    // Synchronous SQLite: the tables exist before any event reaches the room.
    this.store.init();
    this.lastFlushAt = Number(this.store.meta("last_flush_at") ?? 0);
    // Answered by the runtime itself: clients detect dead sockets without waking the room.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_FRAME, PONG_FRAME));
  }

  // ── RPC ─────────────────────────────────────────────────────────────────────────────────────────

  /**
   * The consumer's update (on the root room): absolute values of the buckets a batch touched.
   * What changed is forwarded to the shard rooms, if any, in one RPC each.
   */
  async apply(
    buckets: LiveBuckets,
    options: { recompute?: boolean; backlog?: number } = {},
  ): Promise<{ applied: number; seq: number }> {
    // A root without sockets (sharded) still fills itself: rules read its windows.
    this.ctx.waitUntil(this.hydrateIfEmpty());
    if (options.recompute) await this.requestRecompute((options.backlog ?? 0) > 0);
    const result = await this.write(buckets, false, true);
    // Only the root forwards (rooms made by tests or tools under other names stay alone).
    if (this.ctx.id.name === ROOM_NAME && result.applied > 0) {
      await Promise.all(
        shardRooms(this.env).map((shard) =>
          shard.replicate(result.changed).catch((error: unknown) => {
            // Lost only until the next reconciliation, which compares every shard with Postgres.
            console.error(JSON.stringify({ msg: "live shard update failed", error: String(error) }));
          }),
        ),
      );
    }
    return { applied: result.applied, seq: result.seq };
  }

  /** The root's forward (on a shard room): the same absolute values, without rule evaluation. */
  async replicate(buckets: LiveBuckets): Promise<{ applied: number; seq: number }> {
    const { applied, seq } = await this.write(buckets, false, false);
    return { applied, seq };
  }

  /**
   * The scheduled reconciliation: `window` is what Postgres holds from `fromMinute`/`fromDay` on.
   * Corrects every difference (sending the corrected buckets to the dashboards) and reports it.
   */
  async reconcile(window: LiveWindow): Promise<DriftReport> {
    // A bucket only the room holds is drift unless it was written in the last minute before the
    // read (its transaction may not have been visible to the read yet).
    const settled = new Date(Date.parse(window.readAt) - 60_000).toISOString();
    const { corrections, drift, checked } = this.store.diff(window, settled);
    if (drift.length > 0) await this.write(corrections, true, false);
    const report: DriftReport = {
      at: new Date().toISOString(),
      checked,
      drifted: drift.length,
      examples: drift.slice(0, 10),
    };
    this.store.setMeta("last_reconcile", JSON.stringify(report));
    this.store.setMeta("hydrated", this.store.meta("hydrated") ?? report.at);
    return report;
  }

  /** What the room holds for one subscription (the snapshot a client would get). */
  async view(
    sub: { filter?: Record<string, string>; minutes?: number; days?: number } = {},
  ): Promise<Snapshot> {
    const parsed = clientMessage.parse({ type: "subscribe", ...sub });
    if (parsed.type !== "subscribe") throw new Error("unreachable");
    return this.snapshot(subscriptionOf(parsed));
  }

  async status() {
    const sockets = this.ctx.getWebSockets();
    const lastReconcile = this.store.meta("last_reconcile");
    return {
      protocol: PROTOCOL_VERSION,
      epoch: this.store.epoch(),
      seq: this.store.seq(),
      sockets: sockets.length,
      subscribed: sockets.filter((ws) => this.subOf(ws) !== null).length,
      buckets: this.store.counts(),
      hydrated_at: this.store.meta("hydrated") ?? null,
      last_reconcile: lastReconcile ? (JSON.parse(lastReconcile) as DriftReport) : null,
      recompute: {
        due: this.recomputeState().due,
        /** Dirty slices the last run left for the next one. */
        remaining: Number(this.store.meta("recompute_remaining") ?? 0),
        chunk: Number(this.store.meta("recompute_chunk") ?? CHUNK_START),
      },
    };
  }

  /**
   * Resets the object as an eviction would (fault injection only, see `fault-injection.ts`): its
   * memory and sockets are gone, its storage stays.
   */
  async evict(): Promise<void> {
    this.ctx.abort("evicted");
  }

  /** Closes every dashboard socket as a deploy would (1012); clients reconnect and resync. */
  async dropConnections(): Promise<{ closed: number }> {
    const sockets = this.ctx.getWebSockets();
    for (const ws of sockets) closeQuietly(ws, 1012, "service restart");
    return { closed: sockets.length };
  }

  // ── WebSockets ──────────────────────────────────────────────────────────────────────────────────

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("expected a WebSocket upgrade", { status: 426 });
    }
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({
      v: 2,
      connectedAt: new Date().toISOString(),
      sub: null,
    } satisfies Attachment);
    this.subs.set(server, null);
    await this.ensureHousekeeping();
    // Filled before the first snapshot is built (subscribe waits for it); connecting does not.
    this.ctx.waitUntil(this.hydrateIfEmpty());
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (typeof message !== "string") {
      return this.send(ws, { type: "error", code: "malformed_message", message: "Send JSON text frames." });
    }
    if (message.length > MAX_MESSAGE_BYTES) {
      return this.send(ws, {
        type: "error",
        code: "message_too_large",
        message: `Messages are at most ${MAX_MESSAGE_BYTES} bytes.`,
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(message);
    } catch {
      return this.send(ws, { type: "error", code: "malformed_message", message: "Messages must be JSON." });
    }
    const parsed = clientMessage.safeParse(json);
    if (!parsed.success) {
      return this.send(ws, {
        type: "error",
        code: "invalid_message",
        message: `Expected {"type":"subscribe",…}, {"type":"resync",…} or {"type":"ping"} — ${describeIssues(parsed.error.issues)}`,
      });
    }
    const msg = parsed.data;
    switch (msg.type) {
      case "ping":
        return this.send(ws, { type: "pong" });
      case "subscribe": {
        await this.hydrateIfEmpty();
        const sub = subscriptionOf(msg);
        const attachment = readAttachment(ws.deserializeAttachment());
        ws.serializeAttachment({ ...attachment, sub } satisfies Attachment);
        this.subs.set(ws, sub);
        const resume = msg.resume && msg.resume.epoch === this.store.epoch() ? msg.resume.seq : undefined;
        return this.send(ws, this.catchUp(sub, resume));
      }
      case "resync": {
        const sub = this.subOf(ws);
        if (!sub) {
          return this.send(ws, {
            type: "error",
            code: "not_subscribed",
            message: 'Send {"type":"subscribe"} before asking for a resync.',
          });
        }
        return this.send(ws, this.catchUp(sub, msg.last_seq));
      }
    }
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    // Echo the close so the client's close handshake completes (1005/1006 may not be sent back).
    closeQuietly(ws, code === 1005 || code === 1006 ? 1000 : code);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    closeQuietly(ws, 1011);
  }

  /**
   * Runs every job of `schedule` whose time has come (in table order: a recomputation's changes go
   * out in the same alarm's frame), then re-arms for the earliest job left.
   */
  override async alarm(): Promise<void> {
    for (const job of this.schedule) {
      const now = Date.now();
      if (now >= job.due()) await job.run(now);
    }
    // A request that came in while this alarm ran, or dirty slices left, are served next.
    await this.ctx.storage.setAlarm(this.nextAlarm());
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────────────

  private async write(
    buckets: LiveBuckets,
    force: boolean,
    evaluateRules: boolean,
  ): Promise<{ applied: number; seq: number; changed: LiveBuckets }> {
    const seq = this.store.seq() + 1;
    const changed = this.ctx.storage.transactionSync(() => {
      const c = this.store.upsert(buckets, seq, force);
      if (c.minutes.length + c.days.length > 0) this.store.setSeq(seq);
      return c;
    });
    const applied = changed.minutes.length + changed.days.length;
    if (applied > 0) await this.scheduleFlush();
    if (applied > 0 && evaluateRules) {
      try {
        await this.rules.evaluate({ seq, today: this.today(), changed, at: Date.now() }, this.store);
        // The rules judge in the background; once done, their alarm may be due sooner.
        void this.rules.idle?.().then(() => this.armRules());
      } catch (error) {
        console.error(JSON.stringify({ msg: "live rule evaluation failed", seq, error: String(error) }));
      }
    }
    await this.ensureHousekeeping();
    await this.armRules();
    return { applied, seq: this.store.seq(), changed };
  }

  /** Alert rules pending or firing are judged again from the alarm even when no update comes. */
  private async armRules(): Promise<void> {
    const rulesDue = this.rules.dueAt?.() ?? null;
    const alarm = rulesDue === null ? null : await this.ctx.storage.getAlarm();
    if (rulesDue !== null && (alarm === null || alarm > rulesDue)) await this.ctx.storage.setAlarm(rulesDue);
  }

  /** Sends now if the last frame left at least `COALESCE_MS` ago, else when that time comes. */
  private async scheduleFlush(): Promise<void> {
    const due = this.lastFlushAt + COALESCE_MS;
    if (Date.now() >= due) {
      this.flush();
      return;
    }
    const alarm = await this.ctx.storage.getAlarm();
    if (alarm === null || alarm > due) await this.ctx.storage.setAlarm(due);
  }

  /**
   * One delta per group of identical subscriptions whose slice changed since the last flush (every
   * group when `all`, at a day roll-over), built once and sent to each of its sockets.
   */
  private flush(all = false): void {
    const seq = this.store.seq();
    const since = Number(this.store.meta("flushed_seq") ?? 0);
    const groups = this.groups();
    const changed = all ? undefined : this.store.slicesChangedSince(since);
    const sent = new Map<string, { prev: number; sub: Subscription }>();
    for (const { sub, sockets } of groups.values()) {
      const key = sliceKey(sub);
      if (changed && !changed.has(key)) continue;
      let slice = sent.get(key);
      if (!slice) {
        slice = { prev: this.store.sentSeq(sub), sub };
        sent.set(key, slice);
      }
      const frame = JSON.stringify({
        type: "delta",
        seq,
        prev_seq: slice.prev,
        ...this.contents(sub, since),
      } satisfies ServerMessage);
      for (const ws of sockets) sendRaw(ws, frame);
    }
    for (const { sub } of sent.values()) this.store.setSentSeq(sub, seq);
    this.store.setMeta("flushed_seq", String(seq));
    this.lastFlushAt = Date.now();
    this.store.setMeta("last_flush_at", String(this.lastFlushAt));
  }

  /** A delta of what changed after `lastSeq` when the room can tell, else a snapshot. */
  private catchUp(sub: Subscription, lastSeq: number | undefined): ServerMessage {
    const seq = this.store.seq();
    if (lastSeq === undefined || lastSeq > seq || seq - lastSeq > MAX_RESYNC_SEQS) return this.snapshot(sub);
    return { type: "delta", seq, prev_seq: lastSeq, ...this.contents(sub, lastSeq) };
  }

  private snapshot(sub: Subscription): Snapshot {
    return {
      type: "snapshot",
      epoch: this.store.epoch(),
      seq: this.store.seq(),
      filter: filterOf(sub),
      ...this.contents(sub),
    };
  }

  private contents(sub: Subscription, sinceSeq?: number) {
    const now = Date.now();
    const today = this.today();
    return {
      today,
      tiles: this.store.tiles(sub, today),
      ...this.store.series(sub, windowsOf(sub, now, today), sinceSeq),
      as_of: new Date(now).toISOString(),
    };
  }

  private groups(): Map<string, { sub: Subscription; sockets: WebSocket[] }> {
    const groups = new Map<string, { sub: Subscription; sockets: WebSocket[] }>();
    for (const ws of this.ctx.getWebSockets()) {
      const sub = this.subOf(ws);
      if (!sub) continue;
      const key = groupKey(sub);
      const group = groups.get(key);
      if (group) group.sockets.push(ws);
      else groups.set(key, { sub, sockets: [ws] });
    }
    return groups;
  }

  private subOf(ws: WebSocket): Subscription | null {
    let sub = this.subs.get(ws);
    if (sub === undefined) {
      sub = readAttachment(ws.deserializeAttachment()).sub;
      this.subs.set(ws, sub);
    }
    return sub;
  }

  /** Day roll-over (dashboards get the new day's tiles) and pruning past the windows. */
  private housekeeping(now: number): void {
    const today = this.today();
    if (this.store.meta("announced_day") !== today) {
      if (this.store.meta("announced_day") !== undefined) {
        this.store.setSeq(this.store.seq() + 1);
        this.flush(true);
      }
      this.store.setMeta("announced_day", today);
    }
    this.store.prune(minuteOf(now) - MINUTE_WINDOW * 60, daysBefore(today, DAY_RETENTION));
    this.store.setMeta(
      "housekeeping_due",
      String(Math.min(nextHour(now), nextDayStart(now, this.env.REPORTING_TZ))),
    );
  }

  private async ensureHousekeeping(): Promise<void> {
    if (this.store.meta("housekeeping_due") === undefined) this.housekeeping(Date.now());
    if ((await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(Number(this.store.meta("housekeeping_due")));
    }
  }

  /**
   * The consumer sends additive values, which are final at commit, and asks for the non-additive
   * ones (unique and new customers, median and p90 order value) to be recomputed from silver. That
   * costs a read of the touched days' sales (and the slices' lock, which batches wait for), so it
   * runs here, from an alarm: requests that arrive meanwhile fold into the next run, and the
   * consumer goes on with its batches. Once started, the run drains every dirty slice — its own
   * and any other (a bulk load's, a failed run's) — in bounded chunks, the newest days first,
   * re-arming the alarm until none is left; the scheduled job is only the safety net.
   *
   * `deferred`: asked during a backlog — wait (and let later such requests push the run back)
   * unless a run is already due sooner.
   */
  private async requestRecompute(deferred = false): Promise<void> {
    const now = Date.now();
    const current = this.recomputeState();
    const scheduled = current.due ? current.next : Number.POSITIVE_INFINITY;
    const wasDeferred = current.due && current.deferred;
    let next: number;
    if (deferred) {
      // Pushes an earlier deferred run back; never delays a run that is due anyway.
      next = wasDeferred ? now + RECOMPUTE_DEFER_MS : Math.min(scheduled, now + RECOMPUTE_DEFER_MS);
      this.setRecompute({ deferred: wasDeferred || !current.due });
    } else {
      const throttled = Math.max(now, Number(this.store.meta("recomputed_at") ?? 0) + RECOMPUTE_EVERY_MS);
      next = wasDeferred ? throttled : Math.min(scheduled, throttled);
      this.setRecompute({ deferred: false });
    }
    this.setRecompute({ due: true, next });
    await this.ctx.storage.setAlarm(this.nextAlarm());
  }

  /** The earliest thing the alarm has to do (now, for anything already due). */
  private nextAlarm(): number {
    return Math.max(Date.now(), Math.min(...this.schedule.map((job) => job.due())));
  }

  /** The recomputation's schedule, kept in the room's meta so it survives eviction. */
  private recomputeState(): RecomputeState {
    return {
      due: this.store.meta("recompute_due") === "1",
      deferred: this.store.meta("recompute_deferred") === "1",
      next: Number(this.store.meta("recompute_next") ?? 0),
    };
  }

  private setRecompute(state: Partial<RecomputeState>): void {
    if (state.due !== undefined) this.store.setMeta("recompute_due", state.due ? "1" : "0");
    if (state.deferred !== undefined) this.store.setMeta("recompute_deferred", state.deferred ? "1" : "0");
    if (state.next !== undefined) this.store.setMeta("recompute_next", String(state.next));
  }

  /**
   * One run: chunks of dirty slices, each its own short transaction, for up to `DRAIN_SLICE_MS`;
   * each chunk's changed values go to the dashboards at once. Dirty slices left (or a failure)
   * leave a run due, so the alarm comes back.
   */
  private async recompute(): Promise<void> {
    this.setRecompute({ due: false, deferred: false });
    const started = Date.now();
    this.store.setMeta("recomputed_at", String(started));
    let remaining = 0;
    try {
      remaining = await withDb(this.env, async (db) => {
        for (;;) {
          const limit = Number(this.store.meta("recompute_chunk") ?? CHUNK_START);
          const t0 = Date.now();
          const chunk = await transaction(db, (tx) => recomputeSlices(tx, limit));
          this.store.setMeta("recompute_chunk", String(nextChunk(limit, chunk.recomputed, Date.now() - t0)));
          const buckets = await readTouchedBuckets(db, { days: chunk.changed, minutes: [] });
          if (buckets.days.length > 0) await this.apply(buckets);
          if (chunk.remaining === 0 || chunk.recomputed === 0) return 0;
          if (Date.now() - started >= DRAIN_SLICE_MS) return chunk.remaining;
        }
      });
    } catch (error) {
      // The slices stay marked dirty: the room tries again shortly (the scheduled job is the backstop).
      console.error(JSON.stringify({ msg: "live recomputation failed", error: String(error) }));
      this.setRecompute({ due: true, next: Date.now() + RECOMPUTE_RETRY_MS });
      return;
    }
    this.store.setMeta("recompute_remaining", String(remaining));
    if (remaining > 0 && !this.recomputeState().due) {
      this.setRecompute({ due: true, next: Date.now() });
    } else if (remaining > 0) {
      // A request came in meanwhile; the drain goes on now whatever it asked.
      this.setRecompute({ next: Date.now(), deferred: false });
    }
  }

  /** A room that starts with no data (new, or storage of an older layout) loads its window once. */
  private hydrateIfEmpty(): Promise<void> {
    if (this.store.meta("hydrated")) return Promise.resolve();
    this.hydrating ??= (async () => {
      try {
        const today = this.today();
        const window = await withDb(this.env, (db) =>
          readLiveWindow(db, daysBefore(today, DAY_RETENTION), minuteOf(Date.now()) - MINUTE_WINDOW * 60),
        );
        await this.write(window, false, false);
        this.store.setMeta("hydrated", new Date().toISOString());
      } catch (error) {
        console.error(JSON.stringify({ msg: "room hydration failed", error: String(error) }));
      } finally {
        this.hydrating = undefined;
      }
    })();
    return this.hydrating;
  }

  private send(ws: WebSocket, message: ServerMessage): void {
    sendRaw(ws, JSON.stringify(message));
  }

  private today(): string {
    return dayIn(Date.now(), this.env.REPORTING_TZ);
  }
}

/** The next chunk size: scaled towards `CHUNK_TARGET_MS` per chunk, within bounds. */
export function nextChunk(limit: number, recomputed: number, ms: number): number {
  // A short chunk (the last of a drain) says nothing about the size: keep it.
  if (recomputed < limit) return limit;
  const scaled = Math.round(limit * Math.min(2, Math.max(0.5, CHUNK_TARGET_MS / Math.max(ms, 1))));
  return Math.min(CHUNK_MAX, Math.max(CHUNK_MIN, scaled));
}

function sendRaw(ws: WebSocket, frame: string): void {
  try {
    ws.send(frame);
  } catch {
    // One broken socket must not stop the fan-out to the others.
    closeQuietly(ws, 1011);
  }
}

function closeQuietly(ws: WebSocket, code: number, reason?: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // already closed
  }
}
