/**
 * The live room's own storage (the Durable Object's SQLite): minute and day buckets per slice, the
 * room's sequence number and bookkeeping. Synchronous, no I/O beyond SQLite, so the room's handlers
 * stay thin.
 *
 * Every bucket row carries the sequence number of the update that last changed its values. That
 * column is the room's change log: "what changed since `s`" is `seq > s`, bounded by the buckets
 * the room keeps (48 hours of minutes, 420 days) — no separate log to trim or replay.
 */
import type { DayBucket, LiveBuckets, LiveWindow, MinuteBucket, Slice } from "./buckets.ts";
import type { Windows } from "./clock.ts";
import { type DaySeries, emptyTiles, type MinuteSeries, type Tiles } from "./protocol.ts";

const SCHEMA_VERSION = "2";

type MinuteRow = {
  minute: number;
  orders: number;
  quantity: number;
  revenue: number;
  net_revenue: number;
  costs: number;
};
type DayRow = {
  day: string;
  orders: number;
  quantity: number;
  revenue: number;
  net_revenue: number;
  costs: number;
  unique_customers: number;
  new_customers: number;
  median: number | null;
  p90: number | null;
};

/** Read access for code evaluated on every update (the alert seam). */
export interface RoomReader {
  series(slice: Slice, windows: Windows, sinceSeq?: number): { minutes: MinuteSeries; days: DaySeries };
  tiles(slice: Slice, day: string): Tiles;
}

export interface Drift {
  grain: "minute" | "day";
  dim: string;
  member: string;
  bucket: string;
  kind: "missing" | "differs" | "extra";
}

export class RoomStore implements RoomReader {
  private readonly sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  /** Creates the tables; storage of an older layout is dropped (hydration refills it). */
  init(): void {
    this.sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    if (this.meta("schema") !== SCHEMA_VERSION) {
      for (const table of ["daily", "minute_bucket", "day_bucket", "slice_sent"])
        this.sql.exec(`DROP TABLE IF EXISTS ${table}`);
      this.sql.exec("DELETE FROM meta");
      this.setMeta("schema", SCHEMA_VERSION);
      // A new epoch tells clients holding sequence numbers of the old storage to take a snapshot.
      this.setMeta("epoch", crypto.randomUUID());
    }
    this.sql.exec(`CREATE TABLE IF NOT EXISTS minute_bucket (
      dim TEXT NOT NULL, member TEXT NOT NULL, minute INTEGER NOT NULL,
      orders INTEGER NOT NULL, quantity INTEGER NOT NULL, revenue REAL NOT NULL, net_revenue REAL NOT NULL,
      costs REAL NOT NULL, updated_at TEXT NOT NULL, seq INTEGER NOT NULL,
      PRIMARY KEY (dim, member, minute)) WITHOUT ROWID`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS minute_bucket_seq ON minute_bucket (dim, member, seq)");
    this.sql.exec(`CREATE TABLE IF NOT EXISTS day_bucket (
      dim TEXT NOT NULL, member TEXT NOT NULL, day TEXT NOT NULL,
      orders INTEGER NOT NULL, quantity INTEGER NOT NULL, revenue REAL NOT NULL, net_revenue REAL NOT NULL,
      costs REAL NOT NULL, unique_customers INTEGER NOT NULL, new_customers INTEGER NOT NULL,
      median REAL, p90 REAL, updated_at TEXT NOT NULL, seq INTEGER NOT NULL,
      PRIMARY KEY (dim, member, day)) WITHOUT ROWID`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS day_bucket_seq ON day_bucket (dim, member, seq)");
    // The sequence number of the last delta frame sent to each slice's subscribers (`prev_seq`).
    this.sql.exec(
      "CREATE TABLE IF NOT EXISTS slice_sent (dim TEXT NOT NULL, member TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (dim, member))",
    );
  }

  // ── writes ──────────────────────────────────────────────────────────────────────────────────────

  /**
   * Stores the buckets whose write time is newer than what the room holds (`force`: not older —
   * the reconciliation's corrections), stamping `seq` on those whose values changed. Returns the
   * changed buckets; an update that only repeats known values changes nothing.
   */
  upsert(buckets: LiveBuckets, seq: number, force = false): LiveBuckets {
    const newer = force ? ">=" : ">";
    const changed: LiveBuckets = { minutes: [], days: [] };
    for (const b of buckets.minutes) {
      const row = this.sql
        .exec<{ seq: number }>(
          `INSERT INTO minute_bucket (dim, member, minute, orders, quantity, revenue, net_revenue, costs, updated_at, seq)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (dim, member, minute) DO UPDATE SET
             seq = CASE WHEN orders IS NOT excluded.orders OR quantity IS NOT excluded.quantity
                          OR revenue IS NOT excluded.revenue OR net_revenue IS NOT excluded.net_revenue
                          OR costs IS NOT excluded.costs THEN excluded.seq ELSE seq END,
             orders = excluded.orders, quantity = excluded.quantity, revenue = excluded.revenue,
             net_revenue = excluded.net_revenue, costs = excluded.costs, updated_at = excluded.updated_at
           WHERE excluded.updated_at ${newer} updated_at
           RETURNING seq`,
          b.dim,
          b.member,
          b.minute,
          b.orders,
          b.quantity,
          b.revenue,
          b.netRevenue,
          b.costs,
          b.updatedAt,
          seq,
        )
        .toArray()[0];
      if (row?.seq === seq) changed.minutes.push(b);
    }
    for (const b of buckets.days) {
      const row = this.sql
        .exec<{ seq: number }>(
          `INSERT INTO day_bucket (dim, member, day, orders, quantity, revenue, net_revenue, costs,
             unique_customers, new_customers, median, p90, updated_at, seq)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (dim, member, day) DO UPDATE SET
             seq = CASE WHEN orders IS NOT excluded.orders OR quantity IS NOT excluded.quantity
                          OR revenue IS NOT excluded.revenue OR net_revenue IS NOT excluded.net_revenue
                          OR costs IS NOT excluded.costs OR unique_customers IS NOT excluded.unique_customers
                          OR new_customers IS NOT excluded.new_customers OR median IS NOT excluded.median
                          OR p90 IS NOT excluded.p90 THEN excluded.seq ELSE seq END,
             orders = excluded.orders, quantity = excluded.quantity, revenue = excluded.revenue,
             net_revenue = excluded.net_revenue, costs = excluded.costs,
             unique_customers = excluded.unique_customers, new_customers = excluded.new_customers,
             median = excluded.median, p90 = excluded.p90, updated_at = excluded.updated_at
           WHERE excluded.updated_at ${newer} updated_at
           RETURNING seq`,
          b.dim,
          b.member,
          b.day,
          b.orders,
          b.quantity,
          b.revenue,
          b.netRevenue,
          b.costs,
          b.uniqueCustomers,
          b.newCustomers,
          b.medianOrderValue,
          b.p90OrderValue,
          b.updatedAt,
          seq,
        )
        .toArray()[0];
      if (row?.seq === seq) changed.days.push(b);
    }
    return changed;
  }

  /** Drops minutes before `minuteFrom` and days before `dayFrom`. */
  prune(minuteFrom: number, dayFrom: string): void {
    this.sql.exec("DELETE FROM minute_bucket WHERE minute < ?", minuteFrom);
    this.sql.exec("DELETE FROM day_bucket WHERE day < ?", dayFrom);
  }

  // ── reads ───────────────────────────────────────────────────────────────────────────────────────

  /** The slice's buckets inside `windows` (only those changed after `sinceSeq`, if given). */
  series(slice: Slice, windows: Windows, sinceSeq = -1): { minutes: MinuteSeries; days: DaySeries } {
    const minutes: MinuteSeries = {
      t: [],
      orders: [],
      quantity: [],
      revenue: [],
      net_revenue: [],
      costs: [],
    };
    if (windows.minuteFrom !== null) {
      const rows = this.sql.exec<MinuteRow>(
        `SELECT minute, orders, quantity, revenue, net_revenue, costs FROM minute_bucket
          WHERE dim = ? AND member = ? AND minute >= ? AND seq > ? ORDER BY minute`,
        slice.dim,
        slice.member,
        windows.minuteFrom,
        sinceSeq,
      );
      for (const r of rows) {
        minutes.t.push(r.minute);
        minutes.orders.push(r.orders);
        minutes.quantity.push(r.quantity);
        minutes.revenue.push(r.revenue);
        minutes.net_revenue.push(r.net_revenue);
        minutes.costs.push(r.costs);
      }
    }
    const days: DaySeries = {
      day: [],
      orders: [],
      quantity: [],
      revenue: [],
      net_revenue: [],
      costs: [],
      unique_customers: [],
      new_customers: [],
      median_order_value: [],
      p90_order_value: [],
    };
    if (windows.dayFrom !== null) {
      const rows = this.sql.exec<DayRow>(
        `SELECT day, orders, quantity, revenue, net_revenue, costs, unique_customers, new_customers, median, p90
           FROM day_bucket WHERE dim = ? AND member = ? AND day >= ? AND seq > ? ORDER BY day`,
        slice.dim,
        slice.member,
        windows.dayFrom,
        sinceSeq,
      );
      for (const r of rows) {
        days.day.push(r.day);
        days.orders.push(r.orders);
        days.quantity.push(r.quantity);
        days.revenue.push(r.revenue);
        days.net_revenue.push(r.net_revenue);
        days.costs.push(r.costs);
        days.unique_customers.push(r.unique_customers);
        days.new_customers.push(r.new_customers);
        days.median_order_value.push(r.median);
        days.p90_order_value.push(r.p90);
      }
    }
    return { minutes, days };
  }

  tiles(slice: Slice, day: string): Tiles {
    const r = this.sql
      .exec<DayRow>(
        `SELECT day, orders, quantity, revenue, net_revenue, costs, unique_customers, new_customers, median, p90
           FROM day_bucket WHERE dim = ? AND member = ? AND day = ?`,
        slice.dim,
        slice.member,
        day,
      )
      .toArray()[0];
    if (!r) return { ...emptyTiles };
    return {
      revenue: r.revenue,
      net_revenue: r.net_revenue,
      orders: r.orders,
      quantity: r.quantity,
      costs: r.costs,
      unique_customers: r.unique_customers,
      new_customers: r.new_customers,
      median_order_value: r.median,
      p90_order_value: r.p90,
    };
  }

  /** `dim|member` of every slice with a bucket changed after `seq`. */
  slicesChangedSince(seq: number): Set<string> {
    const rows = this.sql.exec<{ dim: string; member: string }>(
      `SELECT DISTINCT dim, member FROM minute_bucket WHERE seq > ?1
       UNION SELECT DISTINCT dim, member FROM day_bucket WHERE seq > ?1`,
      seq,
    );
    return new Set([...rows].map((r) => `${r.dim}|${r.member}`));
  }

  /**
   * Compares a window read from Postgres (the source of truth) with what the room holds and returns
   * the corrections: buckets the room lacks or holds with other values (unless the room's copy is
   * newer than the read), and buckets only the room has — zeroed. Either way only what was written
   * before `settled`: a change whose update is still on its way to the room (a batch's RPC, a
   * recomputation) must not look like drift; the next reconciliation sees it settled.
   */
  diff(window: LiveWindow, settled: string): { corrections: LiveBuckets; drift: Drift[]; checked: number } {
    const drift: Drift[] = [];
    const corrections: LiveBuckets = { minutes: [], days: [] };
    const heldMinutes = new Map(
      this.sql
        .exec<MinuteRow & { dim: string; member: string; updated_at: string }>(
          "SELECT * FROM minute_bucket WHERE minute >= ?",
          window.fromMinute,
        )
        .toArray()
        .map((r) => [`${r.dim}|${r.member}|${r.minute}`, r]),
    );
    for (const b of window.minutes) {
      const key = `${b.dim}|${b.member}|${b.minute}`;
      const held = heldMinutes.get(key);
      heldMinutes.delete(key);
      if ((held && held.updated_at > b.updatedAt) || b.updatedAt >= settled) continue;
      const same =
        held &&
        held.orders === b.orders &&
        held.quantity === b.quantity &&
        held.revenue === b.revenue &&
        held.net_revenue === b.netRevenue &&
        held.costs === b.costs;
      if (same) continue;
      corrections.minutes.push(b);
      drift.push({
        grain: "minute",
        dim: b.dim,
        member: b.member,
        bucket: String(b.minute),
        kind: held ? "differs" : "missing",
      });
    }
    const zero = (r: {
      orders: number;
      quantity: number;
      revenue: number;
      net_revenue: number;
      costs: number;
    }) => r.orders === 0 && r.quantity === 0 && r.revenue === 0 && r.net_revenue === 0 && r.costs === 0;
    for (const held of heldMinutes.values()) {
      if (held.updated_at >= settled || zero(held)) continue;
      corrections.minutes.push({
        dim: held.dim as MinuteBucket["dim"],
        member: held.member,
        minute: held.minute,
        orders: 0,
        quantity: 0,
        revenue: 0,
        netRevenue: 0,
        costs: 0,
        updatedAt: window.readAt,
      });
      drift.push({
        grain: "minute",
        dim: held.dim,
        member: held.member,
        bucket: String(held.minute),
        kind: "extra",
      });
    }

    const heldDays = new Map(
      this.sql
        .exec<DayRow & { dim: string; member: string; updated_at: string }>(
          "SELECT * FROM day_bucket WHERE day >= ?",
          window.fromDay,
        )
        .toArray()
        .map((r) => [`${r.dim}|${r.member}|${r.day}`, r]),
    );
    for (const b of window.days) {
      const key = `${b.dim}|${b.member}|${b.day}`;
      const held = heldDays.get(key);
      heldDays.delete(key);
      if ((held && held.updated_at > b.updatedAt) || b.updatedAt >= settled) continue;
      const same =
        held &&
        held.orders === b.orders &&
        held.quantity === b.quantity &&
        held.revenue === b.revenue &&
        held.net_revenue === b.netRevenue &&
        held.costs === b.costs &&
        held.unique_customers === b.uniqueCustomers &&
        held.new_customers === b.newCustomers &&
        held.median === b.medianOrderValue &&
        held.p90 === b.p90OrderValue;
      if (same) continue;
      corrections.days.push(b);
      drift.push({
        grain: "day",
        dim: b.dim,
        member: b.member,
        bucket: b.day,
        kind: held ? "differs" : "missing",
      });
    }
    for (const held of heldDays.values()) {
      if (held.updated_at >= settled || (zero(held) && held.unique_customers === 0)) continue;
      corrections.days.push({
        dim: held.dim as DayBucket["dim"],
        member: held.member,
        day: held.day,
        orders: 0,
        quantity: 0,
        revenue: 0,
        netRevenue: 0,
        costs: 0,
        uniqueCustomers: 0,
        newCustomers: 0,
        medianOrderValue: null,
        p90OrderValue: null,
        updatedAt: window.readAt,
      });
      drift.push({ grain: "day", dim: held.dim, member: held.member, bucket: held.day, kind: "extra" });
    }
    return { corrections, drift, checked: window.minutes.length + window.days.length };
  }

  counts(): { minutes: number; days: number } {
    const one = (table: string) =>
      this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${table}`).toArray()[0]?.n ?? 0;
    return { minutes: one("minute_bucket"), days: one("day_bucket") };
  }

  // ── sequence numbers and bookkeeping ────────────────────────────────────────────────────────────

  epoch(): string {
    return this.meta("epoch") ?? "";
  }

  seq(): number {
    return Number(this.meta("seq") ?? 0);
  }

  setSeq(seq: number): void {
    this.setMeta("seq", String(seq));
  }

  sentSeq(slice: Slice): number {
    return (
      this.sql
        .exec<{ seq: number }>(
          "SELECT seq FROM slice_sent WHERE dim = ? AND member = ?",
          slice.dim,
          slice.member,
        )
        .toArray()[0]?.seq ?? 0
    );
  }

  setSentSeq(slice: Slice, seq: number): void {
    this.sql.exec(
      "INSERT INTO slice_sent (dim, member, seq) VALUES (?, ?, ?) ON CONFLICT (dim, member) DO UPDATE SET seq = excluded.seq",
      slice.dim,
      slice.member,
      seq,
    );
  }

  meta(key: string): string | undefined {
    return this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value;
  }

  setMeta(key: string, value: string): void {
    this.sql.exec(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      key,
      value,
    );
  }
}
