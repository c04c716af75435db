/**
 * The room's fan-out: which sockets hold which subscription, and the frames they get — coalesced
 * deltas (one per group of identical subscriptions, built once), catch-ups and snapshots.
 */
import { sliceKey } from "./buckets.ts";
import { windowsOf } from "./clock.ts";
import type { ServerMessage, Snapshot } from "./protocol.ts";
import type { RoomStore } from "./room-store.ts";
import { filterOf, groupKey, readAttachment, type Subscription } from "./subscription.ts";

/**
 * At most one delta frame per client per coalescing window. A broadcast costs the room ~65–85 µs of
 * CPU per socket (README, "Why shards"), so the window grows with the sockets to keep the fan-out
 * near a fifth of the room's time: 20 ms up to 50 sockets, 100 ms from 250. A room with a handful
 * of dashboards does not hold their frames back for a budget it does not need.
 */
export const MIN_COALESCE_MS = 20;
export const COALESCE_MS = 100;
const COALESCE_MS_PER_SOCKET = 0.4;

export function coalesceWindow(sockets: number): number {
  return Math.min(COALESCE_MS, Math.max(MIN_COALESCE_MS, Math.ceil(sockets * COALESCE_MS_PER_SOCKET)));
}
/** A client further behind than this many updates gets a snapshot instead of a delta. */
export const MAX_RESYNC_SEQS = 5_000;

export class FanOut {
  private lastFlushAt: number;
  /** The coalescing window, from the sockets the last flush counted (all of them until then). */
  private window: number;
  /** Subscriptions by socket, rebuilt lazily from the attachments after hibernation. */
  private readonly subs = new WeakMap<WebSocket, Subscription | null>();

  private readonly ctx: DurableObjectState;
  private readonly store: RoomStore;
  private readonly today: () => string;

  constructor(ctx: DurableObjectState, store: RoomStore, today: () => string) {
    this.ctx = ctx;
    this.store = store;
    this.today = today;
    this.lastFlushAt = Number(store.meta("last_flush_at") ?? 0);
    this.window = coalesceWindow(ctx.getWebSockets().length);
  }

  /** When the next coalesced frame is due; infinity when nothing changed since the last one. */
  due(): number {
    return this.store.seq() > Number(this.store.meta("flushed_seq") ?? 0)
      ? this.lastFlushAt + this.window
      : Number.POSITIVE_INFINITY;
  }

  /** Sends now if the last frame left at least a window ago, else when that time comes. */
  async scheduleFlush(): Promise<void> {
    const due = this.lastFlushAt + this.window;
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
  flush(all = false): void {
    const seq = this.store.seq();
    const since = Number(this.store.meta("flushed_seq") ?? 0);
    const changed = all ? undefined : this.store.slicesChangedSince(since);
    const sent = new Map<string, { prev: number; sub: Subscription }>();
    let socketCount = 0;
    for (const { sub, sockets } of this.groups().values()) {
      socketCount += sockets.length;
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
    this.window = coalesceWindow(socketCount);
    this.store.setMeta("last_flush_at", String(this.lastFlushAt));
  }

  /** A delta of what changed after `lastSeq` when the room can tell, else a snapshot. */
  catchUp(sub: Subscription, lastSeq: number | undefined): ServerMessage {
    const seq = this.store.seq();
    if (lastSeq === undefined || lastSeq > seq || seq - lastSeq > MAX_RESYNC_SEQS) return this.snapshot(sub);
    return { type: "delta", seq, prev_seq: lastSeq, ...this.contents(sub, lastSeq) };
  }

  snapshot(sub: Subscription): Snapshot {
    return {
      type: "snapshot",
      epoch: this.store.epoch(),
      seq: this.store.seq(),
      filter: filterOf(sub),
      ...this.contents(sub),
    };
  }

  subOf(ws: WebSocket): Subscription | null {
    let sub = this.subs.get(ws);
    if (sub === undefined) {
      sub = readAttachment(ws.deserializeAttachment()).sub;
      this.subs.set(ws, sub);
    }
    return sub;
  }

  /** Remembers a socket's subscription (its attachment holds it across hibernation). */
  setSub(ws: WebSocket, sub: Subscription | null): void {
    this.subs.set(ws, sub);
  }

  send(ws: WebSocket, message: ServerMessage): void {
    sendRaw(ws, JSON.stringify(message));
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
}

function sendRaw(ws: WebSocket, frame: string): void {
  try {
    ws.send(frame);
  } catch {
    // One broken socket must not stop the fan-out to the others.
    closeQuietly(ws, 1011);
  }
}

export function closeQuietly(ws: WebSocket, code: number, reason?: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // already closed
  }
}
