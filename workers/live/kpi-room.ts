/**
 * KpiRoom: the live cache and fan-out of the dashboards. SQLite-backed and using the WebSocket
 * Hibernation API, so an idle room with thousands of open dashboards costs nothing.
 *
 * - The consumer sends, in one RPC per batch, the *absolute* values of the minute and day buckets
 *   it touched; the room keeps per bucket the value with the latest database write time, so a
 *   redelivered or reordered update can never double-count or roll a figure back.
 * - Each update that changes a value gets the next sequence number. Fan-out is coalesced: at most
 *   one frame per window (20–100 ms, by sockets) leaves the room (immediately when the last one is older, else from an
 *   alarm) — never a timer, which would keep the object awake.
 * - Per-socket state (the subscription) lives in the socket's attachment; pings are answered by
 *   the runtime's auto-response without waking the room.
 * - The room rebuilds from its own storage after eviction, fills itself from Postgres when it
 *   starts empty, and accepts corrections from the scheduled reconciliation.
 */
import { DurableObject } from "cloudflare:workers";
import { withDb } from "../db/client.ts";
import { dayIn } from "../kpi/calendar.ts";
import { readLiveWindow } from "../pipeline/store/live.ts";
import {
  DAY_RETENTION,
  daysBefore,
  type LiveBuckets,
  type LiveWindow,
  MINUTE_WINDOW,
  minuteOf,
} from "./buckets.ts";
import { readClientFrame } from "./client-frame.ts";
import { nextDayStart, nextHour } from "./clock.ts";
import { closeQuietly, FanOut } from "./fan-out.ts";
import { clientMessage, PING_FRAME, PONG_FRAME, PROTOCOL_VERSION, type Snapshot } from "./protocol.ts";
import { Recomputation } from "./recompute.ts";
import { type Drift, RoomStore } from "./room-store.ts";
import { ROOM_NAME, shardRooms } from "./room-stub.ts";
import { type RuleEvaluator, ruleEvaluatorFor } from "./rules.ts";
import { type Attachment, readAttachment, subscriptionOf } from "./subscription.ts";

/** A timed job of the room's alarm. */
interface ScheduledJob {
  name: string;
  /** Epoch ms it is next due at; infinity when there is nothing to do. */
  due(): number;
  run(now: number): void | Promise<void>;
}

export interface DriftReport {
  at: string;
  checked: number;
  drifted: number;
  examples: Drift[];
}

export class KpiRoom extends DurableObject<Env> {
  private readonly store: RoomStore;
  private readonly fanOut: FanOut;
  private readonly recomputation: Recomputation;
  /** Replaceable in tests; the alert engine plugs in through `ruleEvaluatorFor`. */
  rules: RuleEvaluator;
  private hydrating: Promise<void> | undefined;

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
      // The recomputation the consumer asked for (see `requestRecompute`), started in the
      // background: it reads Postgres for tens to hundreds of milliseconds, and the frames below
      // (and the next alarm's) must not wait for it. Not due while it runs; re-arms once done.
      name: "recompute",
      due: () => this.recomputation.due(),
      run: () => {
        const run = this.recomputation
          .run((buckets) => this.apply(buckets))
          .then(() => this.ctx.storage.setAlarm(this.nextAlarm()))
          .catch((error: unknown) =>
            console.error(JSON.stringify({ msg: "live recomputation not re-armed", error: String(error) })),
          );
        this.ctx.waitUntil(run);
      },
    },
    {
      // Coalesced fan-out: at most one frame per window (`coalesceWindow`: 20–100 ms by sockets).
      name: "flush",
      due: () => this.fanOut.due(),
      run: () => this.fanOut.flush(),
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
    this.fanOut = new FanOut(ctx, this.store, () => this.today());
    this.recomputation = new Recomputation(this.store, env);
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
    // The additive values first, here and on the shards: their frames do not wait for the
    // recomputation's bookkeeping.
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
    if (options.recompute) await this.requestRecompute((options.backlog ?? 0) > 0);
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
    return this.fanOut.snapshot(subscriptionOf(parsed));
  }

  async status() {
    const sockets = this.ctx.getWebSockets();
    const lastReconcile = this.store.meta("last_reconcile");
    return {
      protocol: PROTOCOL_VERSION,
      epoch: this.store.epoch(),
      seq: this.store.seq(),
      sockets: sockets.length,
      subscribed: sockets.filter((ws) => this.fanOut.subOf(ws) !== null).length,
      buckets: this.store.counts(),
      hydrated_at: this.store.meta("hydrated") ?? null,
      last_reconcile: lastReconcile ? (JSON.parse(lastReconcile) as DriftReport) : null,
      recompute: this.recomputation.status(),
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
    this.fanOut.setSub(server, null);
    await this.ensureHousekeeping();
    // Filled before the first snapshot is built (subscribe waits for it); connecting does not.
    this.ctx.waitUntil(this.hydrateIfEmpty());
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, frame: string | ArrayBuffer): Promise<void> {
    const read = readClientFrame(frame);
    if (!read.ok) return this.fanOut.send(ws, read.error);
    const msg = read.message;
    switch (msg.type) {
      case "ping":
        return this.fanOut.send(ws, { type: "pong" });
      case "subscribe": {
        await this.hydrateIfEmpty();
        const sub = subscriptionOf(msg);
        const attachment = readAttachment(ws.deserializeAttachment());
        ws.serializeAttachment({ ...attachment, sub } satisfies Attachment);
        this.fanOut.setSub(ws, sub);
        const resume = msg.resume && msg.resume.epoch === this.store.epoch() ? msg.resume.seq : undefined;
        return this.fanOut.send(ws, this.fanOut.catchUp(sub, resume));
      }
      case "resync": {
        const sub = this.fanOut.subOf(ws);
        if (!sub) {
          return this.fanOut.send(ws, {
            type: "error",
            code: "not_subscribed",
            message: 'Send {"type":"subscribe"} before asking for a resync.',
          });
        }
        return this.fanOut.send(ws, this.fanOut.catchUp(sub, msg.last_seq));
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
   * Runs every job of `schedule` whose time has come, in table order (a recomputation only starts
   * here; its changes go out in frames of their own), then re-arms for the earliest job left.
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
    if (applied > 0) await this.fanOut.scheduleFlush();
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

  /** Day roll-over (dashboards get the new day's tiles) and pruning past the windows. */
  private housekeeping(now: number): void {
    const today = this.today();
    if (this.store.meta("announced_day") !== today) {
      if (this.store.meta("announced_day") !== undefined) {
        this.store.setSeq(this.store.seq() + 1);
        this.fanOut.flush(true);
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

  /** The consumer's request for a recomputation (see `recompute.ts`); the alarm runs it. */
  private async requestRecompute(deferred = false): Promise<void> {
    this.recomputation.request(deferred);
    await this.ctx.storage.setAlarm(this.nextAlarm());
  }

  /** The earliest thing the alarm has to do (now, for anything already due). */
  private nextAlarm(): number {
    return Math.max(Date.now(), Math.min(...this.schedule.map((job) => job.due())));
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

  private today(): string {
    return dayIn(Date.now(), this.env.REPORTING_TZ);
  }
}
