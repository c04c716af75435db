/**
 * What each socket watches, kept in its WebSocket attachment so it survives hibernation (the
 * attachment is the only per-socket state; the room may be evicted between any two messages).
 */
import type { FilterDim, Slice } from "./buckets.ts";
import { DEFAULT_DAYS, DEFAULT_MINUTES, type Filter, type Subscribe } from "./protocol.ts";

export interface Subscription extends Slice {
  minutes: number;
  days: number;
}

export interface Attachment {
  v: 2;
  connectedAt: string;
  sub: Subscription | null;
}

export function subscriptionOf(message: Subscribe): Subscription {
  const [entry] = Object.entries(message.filter ?? {}) as [FilterDim, string][];
  return {
    dim: entry ? entry[0] : "all",
    member: entry ? entry[1] : "",
    minutes: message.minutes ?? DEFAULT_MINUTES,
    days: message.days ?? DEFAULT_DAYS,
  };
}

export function filterOf(sub: Subscription): Filter {
  return sub.dim === "all" ? {} : { [sub.dim]: sub.member };
}

/** Sockets with the same key receive the same frames, built once. */
export function groupKey(sub: Subscription): string {
  return `${sub.dim}|${sub.member}|${sub.minutes}|${sub.days}`;
}

/** The attachment, or a fresh one for a socket accepted by an older version of the room. */
export function readAttachment(raw: unknown): Attachment {
  if (typeof raw === "object" && raw !== null && (raw as { v?: unknown }).v === 2) return raw as Attachment;
  return { v: 2, connectedAt: new Date().toISOString(), sub: null };
}
