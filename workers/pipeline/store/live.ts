/**
 * Reads of the KPI slices in the shape the live room takes (absolute bucket values), and the
 * pruning of the minute slices. One named function per query.
 */
import type { Db } from "../../db/client.ts";
import {
  type DayBucket,
  isLiveDim,
  LIVE_DIMS,
  type LiveBuckets,
  type LiveWindow,
  type MinuteBucket,
} from "../../live/buckets.ts";

const UPDATED_AT = `to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS updated_at`;

type MinuteRow = {
  dim: string;
  member: string;
  minute: string;
  orders: number;
  quantity: string;
  revenue: string;
  net_revenue: string;
  costs: string;
  updated_at: string;
};

type DayRow = Omit<MinuteRow, "minute"> & {
  day: string;
  unique_customers: number;
  new_customers: number;
  median: string | null;
  p90: string | null;
};

const MINUTE_COLUMNS = `dim, member, extract(epoch FROM minute)::bigint::text AS minute, orders, quantity::text,
  revenue::text, net_revenue::text, costs::text, ${UPDATED_AT}`;
const DAY_COLUMNS = `dim, member, day::text, orders, quantity::text, revenue::text, net_revenue::text, costs::text,
  unique_customers, new_customers, median_order_value::text AS median, p90_order_value::text AS p90, ${UPDATED_AT}`;

function minuteBucket(r: MinuteRow): MinuteBucket | undefined {
  if (!isLiveDim(r.dim)) return undefined;
  return {
    dim: r.dim,
    member: r.member,
    minute: Number(r.minute),
    orders: r.orders,
    quantity: Number(r.quantity),
    revenue: Number(r.revenue),
    netRevenue: Number(r.net_revenue),
    costs: Number(r.costs),
    updatedAt: r.updated_at,
  };
}

function dayBucket(r: DayRow): DayBucket | undefined {
  if (!isLiveDim(r.dim)) return undefined;
  return {
    dim: r.dim,
    member: r.member,
    day: r.day,
    orders: r.orders,
    quantity: Number(r.quantity),
    revenue: Number(r.revenue),
    netRevenue: Number(r.net_revenue),
    costs: Number(r.costs),
    uniqueCustomers: r.unique_customers,
    newCustomers: r.new_customers,
    medianOrderValue: r.median === null ? null : Number(r.median),
    p90OrderValue: r.p90 === null ? null : Number(r.p90),
    updatedAt: r.updated_at,
  };
}

const defined = <T>(x: T | undefined): x is T => x !== undefined;

/** What a batch touched: `dim|member|day` day slices and `dim|member|minute` minute slices. */
export interface LiveTouch {
  days: string[];
  minutes: string[];
}

/** The absolute values of the touched buckets of the live dimensions. */
export async function readTouchedBuckets(db: Db, touched: LiveTouch): Promise<LiveBuckets> {
  const live = (keys: string[]) => keys.map((k) => k.split("|")).filter((p) => isLiveDim(p[0]!));
  const days = live(touched.days);
  const minutes = live(touched.minutes);
  const [dayRows, minuteRows] = await Promise.all([
    days.length === 0
      ? { rows: [] as DayRow[] }
      : db.query<DayRow>(
          `SELECT ${DAY_COLUMNS} FROM kpi_day_slice
            WHERE (dim, member, day) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::date[]))`,
          [days.map((p) => p[0]), days.map((p) => p[1]), days.map((p) => p[2])],
        ),
    minutes.length === 0
      ? { rows: [] as MinuteRow[] }
      : db.query<MinuteRow>(
          `SELECT ${MINUTE_COLUMNS} FROM kpi_minute_slice
            WHERE (dim, member, minute) IN (SELECT d, m, to_timestamp(t) FROM unnest($1::text[], $2::text[], $3::bigint[]) AS x(d, m, t))`,
          [minutes.map((p) => p[0]), minutes.map((p) => p[1]), minutes.map((p) => p[2])],
        ),
  ]);
  return {
    days: dayRows.rows.map(dayBucket).filter(defined),
    minutes: minuteRows.rows.map(minuteBucket).filter(defined),
  };
}

/** Every bucket of the live dimensions from `fromDay` and `fromMinute` (epoch seconds) on. */
export async function readLiveWindow(db: Db, fromDay: string, fromMinute: number): Promise<LiveWindow> {
  const dims = [...LIVE_DIMS];
  const clock = await db.query<{ read_at: string }>(
    `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS read_at`,
  );
  const days = await db.query<DayRow>(
    `SELECT ${DAY_COLUMNS} FROM kpi_day_slice WHERE dim = ANY($1::text[]) AND day >= $2::date`,
    [dims, fromDay],
  );
  const minutes = await db.query<MinuteRow>(
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
