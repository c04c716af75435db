/**
 * The dashboard WebSocket protocol (v2), shared by the Worker and the browser and validated with
 * zod on both ends, so the two cannot drift. `zod/mini` keeps the schemas small in the page bundle.
 *
 * Client → server
 * - `subscribe {filter?, minutes?, days?, resume?}`: what to watch — everything or one member of one
 *   filter dimension (`{"region":"EMEA"}`), with the last `minutes` minute buckets and `days` day
 *   buckets. Answered with a `snapshot`, or — when `resume` names the room's epoch and a recent
 *   sequence number — with a `delta` of exactly what changed since (same filter and windows).
 * - `resync {last_seq?}`: after a gap, on the current subscription; a `delta` since `last_seq`, or
 *   a `snapshot` when it is absent or too old.
 * - `ping`: answered `pong` by the runtime without waking the room (send exactly `PING_FRAME`).
 *
 * Server → client
 * - `snapshot`: the subscription's whole state at `seq`, with the room's `epoch`.
 * - `delta`: the absolute values of the buckets that changed in (`prev_seq`, `seq`], plus today's
 *   tiles; at most one per coalescing window (20–100 ms) per client. A client at sequence `s` applies a delta when
 *   `prev_seq <= s`; a larger `prev_seq` means it missed one: it sends `resync {last_seq: s}`.
 * - `error`: a malformed or invalid client message (the connection stays open).
 * - `pong`.
 *
 * Series are columnar (uPlot's shape): one array per field, index-aligned; buckets without sales
 * are absent (sparse), minutes are epoch seconds, days are reporting days (YYYY-MM-DD).
 */
import * as z from "zod/mini";
import {
  ADDITIVE_MEASURES,
  type AdditiveColumns,
  type AdditiveMeasure,
  byName,
  emptyValue,
  RECOMPUTED_MEASURES,
  type RecomputedColumns,
  type RecomputedMeasure,
} from "../kpi/measures.ts";

export const PROTOCOL_VERSION = 2;
export const MAX_MINUTES = 48 * 60;
export const MAX_DAYS = 400;
export const DEFAULT_MINUTES = 60;
export const DEFAULT_DAYS = 1;
/** Sent verbatim so the runtime's auto-response answers it without waking the room. */
export const PING_FRAME = '{"type":"ping"}';
export const PONG_FRAME = '{"type":"pong"}';

const day = z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/));
const count = z.int();
const amount = z.number();
const member = z.string().check(z.minLength(1), z.maxLength(100));

/** Everything (`{}`), or one member of one filter dimension. */
export const filter = z
  .strictObject({ region: z.optional(member), segment: z.optional(member), category: z.optional(member) })
  .check(
    z.refine((f) => Object.keys(f).length <= 1, {
      message: "filter on at most one of region, segment, category",
    }),
  );
export type Filter = z.infer<typeof filter>;

// Tiles and series are looped from the measure registry: a stored measure appears in both.
type Measure = AdditiveMeasure | RecomputedMeasure;
const value = (m: Measure) => {
  const v = m.unit === "count" ? count : amount;
  return "nullable" in m && m.nullable ? z.nullable(v) : v;
};

/** Today's figures for the subscription's filter. */
export type Tiles = AdditiveColumns & RecomputedColumns;
export const tiles = z.object({
  ...byName(ADDITIVE_MEASURES, value),
  ...byName(RECOMPUTED_MEASURES, value),
}) as unknown as z.ZodMiniType<Tiles>;

type Columns<T> = { [K in keyof T]: T[K][] };
export type MinuteSeries = { t: number[] } & Columns<AdditiveColumns>;
export const minuteSeries = z.object({
  t: z.array(count),
  ...byName(ADDITIVE_MEASURES, (m) => z.array(value(m))),
}) as unknown as z.ZodMiniType<MinuteSeries>;

export type DaySeries = { day: string[] } & Columns<AdditiveColumns> & Columns<RecomputedColumns>;
export const daySeries = z.object({
  day: z.array(day),
  ...byName(ADDITIVE_MEASURES, (m) => z.array(value(m))),
  ...byName(RECOMPUTED_MEASURES, (m) => z.array(value(m))),
}) as unknown as z.ZodMiniType<DaySeries>;

/** Series with no buckets. */
export const emptyMinutes = (): MinuteSeries =>
  ({ t: [], ...byName(ADDITIVE_MEASURES, () => []) }) as unknown as MinuteSeries;
export const emptyDays = (): DaySeries =>
  ({
    day: [],
    ...byName(ADDITIVE_MEASURES, () => []),
    ...byName(RECOMPUTED_MEASURES, () => []),
  }) as unknown as DaySeries;

const seq = z.int().check(z.minimum(0));

export const serverMessage = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("snapshot"),
    epoch: z.string(),
    seq,
    filter,
    today: day,
    tiles,
    minutes: minuteSeries,
    days: daySeries,
    as_of: z.string(),
  }),
  z.object({
    type: z.literal("delta"),
    seq,
    prev_seq: seq,
    today: day,
    tiles,
    minutes: minuteSeries,
    days: daySeries,
    as_of: z.string(),
  }),
  z.object({ type: z.literal("error"), code: z.string(), message: z.string() }),
  z.object({ type: z.literal("pong") }),
]);
export type ServerMessage = z.infer<typeof serverMessage>;
export type Snapshot = Extract<ServerMessage, { type: "snapshot" }>;
export type Delta = Extract<ServerMessage, { type: "delta" }>;

export const clientMessage = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("subscribe"),
    filter: z.optional(filter),
    minutes: z.optional(z.int().check(z.minimum(0), z.maximum(MAX_MINUTES))),
    days: z.optional(z.int().check(z.minimum(0), z.maximum(MAX_DAYS))),
    resume: z.optional(z.object({ epoch: z.string().check(z.maxLength(64)), seq })),
  }),
  z.object({ type: z.literal("resync"), last_seq: z.optional(seq) }),
  z.object({ type: z.literal("ping") }),
]);
export type ClientMessage = z.infer<typeof clientMessage>;
export type Subscribe = Extract<ClientMessage, { type: "subscribe" }>;

export const emptyTiles: Tiles = {
  ...byName(ADDITIVE_MEASURES, emptyValue),
  ...byName(RECOMPUTED_MEASURES, emptyValue),
} as Tiles;

/**
 * Where a delta stands for a client holding sequence number `seq`: `old` when it brings nothing
 * newer (`seq` at or below ours), `gap` when a frame was missed (`prev_seq` above ours: resync from
 * ours), otherwise `next` — apply it (it carries absolute values, so an overlap is harmless).
 */
export function placeDelta(seq: number, delta: { seq: number; prev_seq: number }): "old" | "gap" | "next" {
  if (delta.seq <= seq) return "old";
  if (delta.prev_seq > seq) return "gap";
  return "next";
}

/** A one-line, actionable description of why a client message was rejected. */
export function describeIssues(issues: readonly { path: PropertyKey[]; message: string; code?: string }[]) {
  return issues
    .slice(0, 3)
    .map((i) => `${i.path.length > 0 ? i.path.map(String).join(".") : "message"}: ${i.message}`)
    .join("; ");
}
