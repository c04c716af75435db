/**
 * A slice's history from Postgres, through the semantic model: hourly sums (silver, at the `hour`
 * grain) and day totals (the daily slices). What a rule's preview replays, and what the live room
 * loads for the weeks before its own 48 hours of minutes.
 */
import type { Db } from "../db/client.ts";
import { dayIn } from "../kpi/calendar.ts";
import { choosePath } from "../kpi/compile.ts";
import { GRAINS, METRICS } from "../kpi/model.ts";
import type { Filters } from "../kpi/params.ts";
import { readSeries } from "../kpi/store.ts";
import type { RuleFilters } from "./rules.ts";
import type { Measures, SliceHistory } from "./series.ts";

const ADDITIVE = ["revenue", "net_revenue", "orders", "quantity", "cost_of_goods"].map(
  (m) => METRICS.get(m)!,
);
const DAILY = [...ADDITIVE, METRICS.get("unique_customers")!];

/** Minutes `timeZone` is ahead of UTC at `at`. */
export function utcOffsetMinutes(timeZone: string, at: number): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  }).formatToParts(new Date(at));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const local = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"));
  return Math.round((local - Math.floor(at / 60_000) * 60_000) / 60_000);
}

const measures = (row: Record<string, unknown>): Measures => ({
  orders: Number(row.orders ?? 0),
  quantity: Number(row.quantity ?? 0),
  revenue: Number(row.revenue ?? 0),
  netRevenue: Number(row.net_revenue ?? 0),
  costs: Number(row.cost_of_goods ?? 0),
});

export const filterList = (filters: RuleFilters): Filters => Object.entries(filters) as Filters;

/** Hourly sums and day totals of a slice over [from, to) (epoch ms), minutes left to the room. */
export async function readSliceHistory(
  db: Db,
  filters: RuleFilters,
  span: { from: number; to: number },
  timeZone: string,
): Promise<SliceHistory> {
  const list = filterList(filters);
  const range = { from: dayIn(span.from, timeZone), to: dayIn(span.to, timeZone) };
  const hourGrain = GRAINS.get("hour")!;
  const dayGrain = GRAINS.get("day")!;
  const [hourRows, dayRows] = await Promise.all([
    readSeries(
      db,
      { metrics: ADDITIVE, grain: hourGrain, filters: list, range, timeZone },
      { kind: "silver" },
    ),
    readSeries(
      db,
      { metrics: DAILY, grain: dayGrain, filters: list, range, timeZone },
      choosePath(DAILY, dayGrain, list),
    ),
  ]);
  const hours = new Map<number, Measures>();
  for (const row of hourRows) {
    // `period` is local wall-clock time ("2030-02-12T14:00"): back to an instant.
    const wall = Date.parse(`${row.period}:00Z`);
    hours.set(wall - utcOffsetMinutes(timeZone, wall) * 60_000, measures(row));
  }
  const days = new Map<string, Measures & { uniqueCustomers: number }>();
  for (const row of dayRows)
    days.set(row.period, { ...measures(row), uniqueCustomers: Number(row.unique_customers ?? 0) });
  // Before a slice's first sale its history is unknown, not zero: a region that opened two weeks
  // ago has two weeks of baseline, not six weeks of silence.
  let first = Number.POSITIVE_INFINITY;
  for (const [t, m] of hours) if (m.orders !== 0 && t < first) first = t;
  return {
    hours,
    hoursFrom: Math.max(span.from, first),
    minutes: new Map(),
    minutesFrom: Number.POSITIVE_INFINITY,
    days,
  };
}
