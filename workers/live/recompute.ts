/**
 * The room's recomputation of the non-additive measures (unique and new customers, median and p90
 * order value) from silver: when it is due, and one bounded run of it.
 *
 * The consumer sends additive values, which are final at commit, and asks for the non-additive
 * ones to be recomputed. That costs a read of the touched days' sales, so it runs from the room's
 * alarm, in the background (the alarm's other jobs — the coalesced frames above all — never wait
 * for it): requests that arrive meanwhile fold into the next run, at most one a second, and the
 * consumer goes on with its batches, which never wait for it either (`recomputeSlices`). A run
 * recomputes what was dirty when it started — its own request's slices and any other (a bulk
 * load's, a failed run's) — in bounded chunks, the newest days first, single-dimension slices
 * before combinations, re-arming the alarm while a backlog is left; what batches mark during the
 * run, their requests bring the next run for. The scheduled job is only the safety net.
 */
import { type Db, transaction, withDb } from "../db/client.ts";
import { recomputeCombos } from "../pipeline/store/combos.ts";
import { readTouchedBuckets } from "../pipeline/store/live.ts";
import { recomputeSlices } from "../pipeline/store/rollups.ts";
import type { LiveBuckets } from "./buckets.ts";
import type { RoomStore } from "./room-store.ts";

/** A recomputation a batch asks for runs at most once per this many milliseconds (a drain goes on at once). */
const RECOMPUTE_EVERY_MS = 1_000;
/**
 * While the queue reports a backlog, a batch's request waits this long (each such request pushes it
 * back): the batches would mark again what it recomputes, and it would take the database's time
 * from them. The batch that drains the queue asks for it at once; should none say so, the deferred
 * run still comes.
 */
const RECOMPUTE_DEFER_MS = 2_000;
/** After a failed recomputation (or a run cut short by an eviction), the next try. */
const RECOMPUTE_RETRY_MS = 2_000;
/**
 * Dirty slices per chunk (one short transaction each, whose changed values go out when it
 * commits): starts at `CHUNK_START`, then adapts so a chunk takes about `CHUNK_TARGET_MS`.
 */
const CHUNK_START = 400;
const CHUNK_MIN = 50;
const CHUNK_MAX = 8_000;
const CHUNK_TARGET_MS = 300;
/** One run goes on for about this long, then re-arms the alarm (a bulk load's backlog is drained over several). */
const DRAIN_SLICE_MS = 1_500;

/** A recomputation: whether one is due, whether it waits for a backlog, and when it runs. */
interface RecomputeState {
  due: boolean;
  deferred: boolean;
  next: number;
}

/** The recomputation's schedule and runs, kept in the room's meta so they survive eviction. */
export class Recomputation {
  private readonly store: RoomStore;
  private readonly env: Env;
  /** A run in progress (in this object's memory: an eviction ends it, and the stored state retries). */
  private running = false;
  /** A batch asked during the run in progress. */
  private askedWhileRunning = false;

  constructor(store: RoomStore, env: Env) {
    this.store = store;
    this.env = env;
  }

  /** When the next run is due; infinity when none is, or while one runs. */
  due(): number {
    const r = this.state();
    return r.due && !this.running ? r.next : Number.POSITIVE_INFINITY;
  }

  /** What `status()` of the room reports. */
  status() {
    return {
      due: this.state().due,
      running: this.running,
      /** Dirty slices and combinations the last run left (marked during it, or a backlog). */
      remaining: Number(this.store.meta("recompute_remaining") ?? 0),
      chunk: Number(this.store.meta("recompute_chunk") ?? CHUNK_START),
    };
  }

  /**
   * A batch's request. `deferred`: asked during a backlog — wait (and let later such requests push
   * the run back) unless a run is already due sooner. The caller re-arms the alarm.
   */
  request(deferred: boolean): void {
    if (this.running) this.askedWhileRunning = true;
    const now = Date.now();
    const current = this.state();
    const scheduled = current.due ? current.next : Number.POSITIVE_INFINITY;
    const wasDeferred = current.due && current.deferred;
    let next: number;
    if (deferred) {
      // Pushes an earlier deferred run back; never delays a run that is due anyway.
      next = wasDeferred ? now + RECOMPUTE_DEFER_MS : Math.min(scheduled, now + RECOMPUTE_DEFER_MS);
      this.set({ deferred: wasDeferred || !current.due });
    } else {
      const throttled = Math.max(now, Number(this.store.meta("recomputed_at") ?? 0) + RECOMPUTE_EVERY_MS);
      next = wasDeferred ? throttled : Math.min(scheduled, throttled);
      this.set({ deferred: false });
    }
    this.set({ due: true, next });
  }

  /**
   * One run: what was dirty when it started, single-dimension slices then combinations, in chunks
   * (each its own short transaction) for up to `DRAIN_SLICE_MS`; each chunk's changed slices go to
   * `apply` (the dashboards) at once. A backlog left (or a failure) leaves a run due, so the alarm
   * comes back. The caller does not wait for it (`due()` is infinity meanwhile) and re-arms the
   * alarm once it resolves.
   */
  async run(apply: (buckets: LiveBuckets) => Promise<unknown>): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.askedWhileRunning = false;
    const started = Date.now();
    // Stored as due should the object be evicted mid-run; settled below.
    this.set({ due: true, deferred: false, next: started + RECOMPUTE_RETRY_MS });
    this.store.setMeta("recomputed_at", String(started));
    let outcome: { remaining: number; drained: boolean };
    try {
      outcome = await withDb(this.env, (db) => this.drain(db, started, apply));
    } catch (error) {
      // The slices stay marked dirty: the room tries again shortly (the scheduled job is the backstop).
      console.error(JSON.stringify({ msg: "live recomputation failed", error: String(error) }));
      this.set({ due: true, deferred: false, next: Date.now() + RECOMPUTE_RETRY_MS });
      return;
    } finally {
      this.running = false;
    }
    this.store.setMeta("recompute_remaining", String(outcome.remaining));
    if (!outcome.drained) {
      // A backlog (a bulk load's): the drain goes on now whatever was asked meanwhile.
      this.set({ due: true, deferred: false, next: Date.now() });
    } else if (!this.askedWhileRunning) {
      this.set({ due: false, deferred: false });
    }
    // Else a request during the run has set when the next one comes.
  }

  /** The chunks of one run; `drained` once nothing marked before the run's start is left. */
  private async drain(
    db: Db,
    started: number,
    apply: (buckets: LiveBuckets) => Promise<unknown>,
  ): Promise<{ remaining: number; drained: boolean }> {
    // Set by the first chunk: the marks this run takes are those set before its first transaction.
    let before: string | undefined;
    const left = { slices: 0, combinations: 0 };
    for (const phase of ["slices", "combinations"] as const) {
      for (;;) {
        const limit = Number(this.store.meta("recompute_chunk") ?? CHUNK_START);
        const t0 = Date.now();
        let taken: number;
        if (phase === "slices") {
          const chunk = await transaction(db, (tx) => recomputeSlices(tx, limit, before));
          before ??= chunk.before;
          taken = chunk.recomputed;
          left.slices = chunk.remaining;
          const buckets = await readTouchedBuckets(db, { days: chunk.changed, minutes: [] });
          if (buckets.days.length > 0) await apply(buckets);
        } else {
          const chunk = await transaction(db, (tx) => recomputeCombos(tx, limit, before));
          taken = chunk.recomputed;
          left.combinations = chunk.remaining;
        }
        this.store.setMeta("recompute_chunk", String(nextChunk(limit, taken, Date.now() - t0)));
        // Fewer than asked: every mark set before the run's start has been taken.
        if (taken < limit) break;
        if (Date.now() - started >= DRAIN_SLICE_MS) {
          return { remaining: left.slices + left.combinations, drained: false };
        }
      }
    }
    return { remaining: left.slices + left.combinations, drained: true };
  }

  private state(): RecomputeState {
    return {
      due: this.store.meta("recompute_due") === "1",
      deferred: this.store.meta("recompute_deferred") === "1",
      next: Number(this.store.meta("recompute_next") ?? 0),
    };
  }

  private set(state: Partial<RecomputeState>): void {
    if (state.due !== undefined) this.store.setMeta("recompute_due", state.due ? "1" : "0");
    if (state.deferred !== undefined) this.store.setMeta("recompute_deferred", state.deferred ? "1" : "0");
    if (state.next !== undefined) this.store.setMeta("recompute_next", String(state.next));
  }
}

/** The next chunk size: scaled towards `CHUNK_TARGET_MS` per chunk, within bounds. */
export function nextChunk(limit: number, recomputed: number, ms: number): number {
  // A short chunk (the last of a drain) says nothing about the size: keep it.
  if (recomputed < limit) return limit;
  const scaled = Math.round(limit * Math.min(2, Math.max(0.5, CHUNK_TARGET_MS / Math.max(ms, 1))));
  return Math.min(CHUNK_MAX, Math.max(CHUNK_MIN, scaled));
}
