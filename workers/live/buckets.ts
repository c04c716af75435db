/**
 * What the live room holds and what the consumer sends it: absolute KPI values per bucket (a minute
 * or a reporting day) of a slice (`all`, or one member of a filter dimension). Pure types and
 * helpers, shared by the room, the pipeline's reads and the tests.
 *
 * The measures are the registry's (`workers/kpi/measures.ts`). Additive measures are exact at both
 * grains. Day buckets also carry the measures the pipeline recomputes per slice; minute
 * buckets don't (the live charts plot additive measures, and distinct counts per minute would cost
 * a silver scan per batch).
 */
import type { Additive, Recomputed } from "../kpi/measures.ts";

/** Dimensions a live subscription can filter on (one at a time), besides `all`. */
export const FILTER_DIMS = ["region", "segment", "category"] as const;
export type FilterDim = (typeof FILTER_DIMS)[number];
export type LiveDim = "all" | FilterDim;
export const LIVE_DIMS: readonly LiveDim[] = ["all", ...FILTER_DIMS];

export function isLiveDim(dim: string): dim is LiveDim {
  return (LIVE_DIMS as readonly string[]).includes(dim);
}

/** Minutes of history the room keeps and serves (48 hours). */
export const MINUTE_WINDOW = 48 * 60;
/** Days the room keeps; subscriptions may ask for up to `MAX_DAYS`. */
export const DAY_RETENTION = 420;
export const MAX_DAYS = 400;

export interface Slice {
  dim: LiveDim;
  /** '' for `all`. */
  member: string;
}

export type { Additive } from "../kpi/measures.ts";

export type MinuteBucket = Slice &
  Additive & {
    /** Start of the minute, epoch seconds. */
    minute: number;
    /** Database write time (ISO, microseconds): the newest value of a bucket wins. */
    updatedAt: string;
  };

export type DayBucket = Slice &
  Additive &
  Recomputed & {
    /** Reporting day, YYYY-MM-DD. */
    day: string;
    updatedAt: string;
  };

/** One update of the room: the absolute values of every bucket a batch touched. */
export interface LiveBuckets {
  minutes: MinuteBucket[];
  days: DayBucket[];
}

/** Everything Postgres holds from `fromMinute` and `fromDay` on, read at `readAt` (its clock). */
export interface LiveWindow extends LiveBuckets {
  fromMinute: number;
  fromDay: string;
  readAt: string;
}

export const sliceKey = (s: Slice): string => `${s.dim}|${s.member}`;

/** Epoch seconds of the start of the minute containing `ms`. */
export const minuteOf = (ms: number): number => Math.floor(ms / 60_000) * 60;

/** The day `n` days before `day` (both YYYY-MM-DD, calendar arithmetic). */
export function daysBefore(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);
}
