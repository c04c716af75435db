/**
 * The room's recomputation of the non-additive measures (unique and new customers, median and p90
 * order value) from silver: when it is due, and one bounded run of it.
 *
 * The consumer sends additive values, which are final at commit, and asks for the non-additive
 * ones to be recomputed. That costs a read of the touched days' sales (and the slices' lock, which
 * batches wait for), so it runs from the room's alarm: requests that arrive meanwhile fold into
 * the next run, and the consumer goes on with its batches. Once started, the run drains every dirty
 * slice — its own and any other (a bulk load's, a failed run's) — in bounded chunks, the newest
 * days first, re-arming the alarm until none is left; the scheduled job is only the safety net.
 */
import { transaction, withDb } from "../db/client.ts";
import { readTouchedBuckets } from "../pipeline/store/live.ts";
import { recomputeSlices } from "../pipeline/store/rollups.ts";
import type { LiveBuckets } from "./buckets.ts";
import type { RoomStore } from "./room-store.ts";

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

  constructor(store: RoomStore, env: Env) {
    this.store = store;
    this.env = env;
  }

  /** When the next run is due; infinity when none is. */
  due(): number {
    const r = this.state();
    return r.due ? r.next : Number.POSITIVE_INFINITY;
  }

  /** What `status()` of the room reports. */
  status() {
    return {
      due: this.state().due,
      /** Dirty slices the last run left for the next one. */
      remaining: Number(this.store.meta("recompute_remaining") ?? 0),
      chunk: Number(this.store.meta("recompute_chunk") ?? CHUNK_START),
    };
  }

  /**
   * A batch's request. `deferred`: asked during a backlog — wait (and let later such requests push
   * the run back) unless a run is already due sooner. The caller re-arms the alarm.
   */
  request(deferred: boolean): void {
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
   * One run: chunks of dirty slices, each its own short transaction, for up to `DRAIN_SLICE_MS`;
   * each chunk's changed values go to `apply` (the dashboards) at once. Dirty slices left (or a
   * failure) leave a run due, so the alarm comes back.
   */
  async run(apply: (buckets: LiveBuckets) => Promise<unknown>): Promise<void> {
    this.set({ due: false, deferred: false });
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
          if (buckets.days.length > 0) await apply(buckets);
          if (chunk.remaining === 0 || chunk.recomputed === 0) return 0;
          if (Date.now() - started >= DRAIN_SLICE_MS) return chunk.remaining;
        }
      });
    } catch (error) {
      // The slices stay marked dirty: the room tries again shortly (the scheduled job is the backstop).
      console.error(JSON.stringify({ msg: "live recomputation failed", error: String(error) }));
      this.set({ due: true, next: Date.now() + RECOMPUTE_RETRY_MS });
      return;
    }
    this.store.setMeta("recompute_remaining", String(remaining));
    if (remaining > 0 && !this.state().due) {
      this.set({ due: true, next: Date.now() });
    } else if (remaining > 0) {
      // A request came in meanwhile; the drain goes on now whatever it asked.
      this.set({ next: Date.now(), deferred: false });
    }
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
