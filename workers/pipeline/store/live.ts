/**
 * Reads of the KPI slices in the shape the live room takes (absolute bucket values), and the
 * pruning of the minute slices. One named function per query.
 */
import type { Db } from "../../db/client.ts";
import { alongside } from "../../db/statements.ts";
import { ADDITIVE_MEASURES, type Additive, DAY_MEASURES, type Recomputed } from "../../kpi/measures.ts";
import {
  type DayBucket,
  isLiveDim,
  LIVE_DIMS,
  type LiveBuckets,
  type LiveWindow,
  type MinuteBucket,
} from "../../live/buckets.ts";

const UPDATED_AT = `to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS updated_at`;

/** Every value as text (numeric and bigint survive the driver exactly); `Number()` on the way out. */
type Row = Record<string, string | null> & { dim: string; member: string; updated_at: string };
const asText = (names: string[]) => names.map((n) => `${n}::text AS ${n}`).join(", ");

const MINUTE_COLUMNS = `dim, member, extract(epoch FROM minute)::bigint::text AS minute,
  ${asText(ADDITIVE_MEASURES.map((m) => m.name))}, ${UPDATED_AT}`;
const DAY_COLUMNS = `dim, member, day::text, ${asText(DAY_MEASURES.map((m) => m.name))}, ${UPDATED_AT}`;

/** The measures of a row by field, null kept for nullable ones. */
function measures(r: Row, list: readonly { name: string; field: string }[]) {
  return Object.fromEntries(list.map((m) => [m.field, r[m.name] === null ? null : Number(r[m.name])]));
}

function minuteBucket(r: Row): MinuteBucket | undefined {
  if (!isLiveDim(r.dim)) return undefined;
  return {
    dim: r.dim,
    member: r.member,
    minute: Number(r.minute),
    ...(measures(r, ADDITIVE_MEASURES) as Additive),
    updatedAt: r.updated_at,
  };
}

function dayBucket(r: Row): DayBucket | undefined {
  if (!isLiveDim(r.dim)) return undefined;
  return {
    dim: r.dim,
    member: r.member,
    day: r.day!,
    ...(measures(r, DAY_MEASURES) as Additive & Recomputed),
    updatedAt: r.updated_at,
  };
}

const defined = <T>(x: T | undefined): x is T => x !== undefined;

/** What a batch touched: `dim|member|day` day slices and `dim|member|minute` minute slices. */
export interface LiveTouch {
  days: string[];
  minutes: string[];
}

/**
 * The absolute values of the touched buckets of the live dimensions, in one statement (it follows
 * every batch, on the path of the live update): each table's rows as one JSON array of text values.
 * In a transaction it goes with the next statement awaited, the batch's `COMMIT` (`alongside`):
 * it reads what the transaction wrote, under the locks that keep other batches off those rows.
 */
export async function readTouchedBuckets(db: Db, touched: LiveTouch): Promise<LiveBuckets> {
  const live = (keys: string[]) => keys.map((k) => k.split("|")).filter((p) => isLiveDim(p[0]!));
  const days = live(touched.days);
  const minutes = live(touched.minutes);
  if (days.length === 0 && minutes.length === 0) return { days: [], minutes: [] };
  const result = await alongside<{ days: Row[] | null; minutes: Row[] | null }>(
    db,
    `SELECT (SELECT json_agg(d) FROM (
               SELECT ${DAY_COLUMNS} FROM kpi_day_slice
                WHERE (dim, member, day) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::date[]))) d) AS days,
            (SELECT json_agg(m) FROM (
               SELECT ${MINUTE_COLUMNS} FROM kpi_minute_slice
                WHERE (dim, member, minute) IN (SELECT d, m, to_timestamp(t) FROM unnest($4::text[], $5::text[], $6::bigint[]) AS x(d, m, t))) m) AS minutes`,
    [
      days.map((p) => p[0]),
      days.map((p) => p[1]),
      days.map((p) => p[2]),
      minutes.map((p) => p[0]),
      minutes.map((p) => p[1]),
      minutes.map((p) => p[2]),
    ],
  );
  const row = result.rows[0];
  return {
    days: (row?.days ?? []).map(dayBucket).filter(defined),
    minutes: (row?.minutes ?? []).map(minuteBucket).filter(defined),
  };
}

/** Every bucket of the live dimensions from `fromDay` and `fromMinute` (epoch seconds) on. */
export async function readLiveWindow(db: Db, fromDay: string, fromMinute: number): Promise<LiveWindow> {
  const dims = [...LIVE_DIMS];
  const clock = await db.query<{ read_at: string }>(
    `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS read_at`,
  );
  const days = await db.query<Row>(
    `SELECT ${DAY_COLUMNS} FROM kpi_day_slice WHERE dim = ANY($1::text[]) AND day >= $2::date`,
    [dims, fromDay],
  );
  const minutes = await db.query<Row>(
    `SELECT ${MINUTE_COLUMNS} FROM kpi_minute_slice WHERE minute >= to_timestamp($1) AND dim = ANY($2::text[])`,
    [fromMinute, dims],
  );
  return {
    fromDay,
    fromMinute,
    readAt: clock.rows[0]!.read_at,
    days: days.rows.map(dayBucket).filter(defined),
    minutes: minutes.rows.map(minuteBucket).filter(defined),
  };
}

/** Drops minute slices older than `beforeMinute` (epoch seconds); returns how many. */
export async function pruneMinuteSlices(db: Db, beforeMinute: number): Promise<number> {
  const result = await db.query("DELETE FROM kpi_minute_slice WHERE minute < to_timestamp($1)", [
    beforeMinute,
  ]);
  return result.rowCount ?? 0;
}
