/**
 * What the alert engine remembers of one slice between updates: minute and day values as the room
 * sends them (absolute, so a repeated update changes nothing), and the hourly history from
 * Postgres for the weeks before the room's 48 hours.
 */
import type { DayBucket, MinuteBucket, Slice } from "../live/buckets.ts";
import type { RoomReader } from "../live/room-store.ts";
import type { Measures, SliceHistory } from "./series.ts";

const MINUTE_WINDOW_MS = 48 * 3_600_000;

export class SliceMemory {
  readonly minutes = new Map<number, Measures>();
  readonly days = new Map<string, Measures & { uniqueCustomers: number }>();
  hours: ReadonlyMap<number, Measures> = new Map();
  hoursFrom = Number.POSITIVE_INFINITY;
  readonly slice: Slice;

  constructor(slice: Slice) {
    this.slice = slice;
  }

  /** When `hydrate` last read the room (epoch ms). */
  hydratedAt = 0;

  /**
   * Fills minutes and days from the room's own storage: after a cold start, and again now and then
   * (the engine calls it every few minutes), so what reached the room without passing through the
   * rules — a reconciliation with Postgres after a bulk load — reaches them too.
   */
  hydrate(room: RoomReader, now: number, today: string): void {
    this.hydratedAt = now;
    const fromDay = new Date(Date.parse(`${today}T00:00:00Z`) - 40 * 86_400_000).toISOString().slice(0, 10);
    const { minutes, days } = room.series(this.slice, {
      minuteFrom: Math.floor((now - MINUTE_WINDOW_MS) / 1000),
      dayFrom: fromDay,
    });
    minutes.t.forEach((t, i) => {
      this.minutes.set(t * 1000, {
        orders: minutes.orders[i]!,
        quantity: minutes.quantity[i]!,
        revenue: minutes.revenue[i]!,
        netRevenue: minutes.net_revenue[i]!,
        costs: minutes.costs[i]!,
      });
    });
    days.day.forEach((day, i) => {
      this.days.set(day, {
        orders: days.orders[i]!,
        quantity: days.quantity[i]!,
        revenue: days.revenue[i]!,
        netRevenue: days.net_revenue[i]!,
        costs: days.costs[i]!,
        uniqueCustomers: days.unique_customers[i] ?? 0,
      });
    });
  }

  applyMinute(b: MinuteBucket): void {
    this.minutes.set(b.minute * 1000, {
      orders: b.orders,
      quantity: b.quantity,
      revenue: b.revenue,
      netRevenue: b.netRevenue,
      costs: b.costs,
    });
  }

  applyDay(b: DayBucket): void {
    this.days.set(b.day, { ...b, uniqueCustomers: b.uniqueCustomers ?? 0 });
  }

  /** Takes the hourly history (and days the room does not hold) loaded from Postgres. */
  attach(history: SliceHistory): void {
    this.hours = history.hours;
    this.hoursFrom = history.hoursFrom;
    for (const [day, v] of history.days) if (!this.days.has(day)) this.days.set(day, v);
  }

  /** Drops minutes older than the room keeps (their hours come from Postgres on the next load). */
  prune(now: number): void {
    for (const t of this.minutes.keys()) if (t < now - MINUTE_WINDOW_MS - 3_600_000) this.minutes.delete(t);
  }

  history(now: number): SliceHistory {
    const minutesFrom = now - MINUTE_WINDOW_MS;
    return {
      hours: this.hours,
      hoursFrom: this.hoursFrom,
      minutes: this.minutes,
      minutesFrom,
      days: this.days,
    };
  }
}
