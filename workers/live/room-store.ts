/**
 * The live room's own storage (the Durable Object's SQLite): minute and day buckets per slice, the
 * room's sequence number and bookkeeping. Synchronous, no I/O beyond SQLite, so the room's handlers
 * stay thin.
 *
 * Every bucket row carries the sequence number of the update that last changed its values. That
 * column is the room's change log: "what changed since `s`" is `seq > s`, bounded by the buckets
 * the room keeps (48 hours of minutes, 420 days) — no separate log to trim or replay.
 */
import {
  ADDITIVE_MEASURES,
  type AdditiveMeasure,
  DAY_MEASURES,
  emptyValue,
  type RecomputedMeasure,
} from "../kpi/measures.ts";
import type { LiveBuckets, LiveWindow, Slice } from "./buckets.ts";
import type { Windows } from "./clock.ts";
import {
  type DaySeries,
  emptyDays,
  emptyMinutes,
  emptyTiles,
  type MinuteSeries,
  type Tiles,
} from "./protocol.ts";

type Measure = AdditiveMeasure | RecomputedMeasure;
type Row = Record<string, string | number | null>;

/**
 * A bucket grain: its table, key column and measures. Both grains are stored, read, compared and
 * corrected by the same loops; only these facts differ.
 */
interface Grain {
  /** The `LiveBuckets` / `LiveWindow` list it holds. */
  list: "minutes" | "days";
  table: string;
  /** Key column and bucket property (epoch seconds or YYYY-MM-DD). */
  key: "minute" | "day";
  keyType: "INTEGER" | "TEXT";
  /** The key's column in the protocol's series. */
  seriesKey: "t" | "day";
  measures: readonly Measure[];
  /** Where the window read from Postgres starts. */
  from(window: LiveWindow): string | number;
}

const GRAINS: readonly Grain[] = [
  {
    list: "minutes",
    table: "minute_bucket",
    key: "minute",
    keyType: "INTEGER",
    seriesKey: "t",
    measures: ADDITIVE_MEASURES,
    from: (w) => w.fromMinute,
  },
  {
    list: "days",
    table: "day_bucket",
    key: "day",
    keyType: "TEXT",
    seriesKey: "day",
    measures: DAY_MEASURES,
    from: (w) => w.fromDay,
  },
];
const DAY_GRAIN = GRAINS[1]!;

const sqliteType = (m: Measure) =>
  `${m.unit === "count" ? "INTEGER" : "REAL"}${"nullable" in m && m.nullable ? "" : " NOT NULL"}`;
const names = (g: Grain) => g.measures.map((m) => m.name).join(", ");

/** The storage layout: a registry change (a new measure) drops the room's tables, hydration refills them. */
const SCHEMA_VERSION = `3:${DAY_MEASURES.map((m) => m.name).join(",")}`;

/**
 * Stores one bucket when its write time is newer (or, `>=`, not older), stamping `seq` only when a
 * value changed; returns the stored `seq`.
 */
function upsertSql(g: Grain, newer: ">" | ">="): string {
  const cols = g.measures.map((m) => m.name);
  return `INSERT INTO ${g.table} (dim, member, ${g.key}, ${cols.join(", ")}, updated_at, seq)
    VALUES (${["?", "?", "?", ...cols.map(() => "?"), "?", "?"].join(", ")})
    ON CONFLICT (dim, member, ${g.key}) DO UPDATE SET
      seq = CASE WHEN ${cols.map((c) => `${c} IS NOT excluded.${c}`).join(" OR ")} THEN excluded.seq ELSE seq END,
      ${cols.map((c) => `${c} = excluded.${c}`).join(", ")}, updated_at = excluded.updated_at
    WHERE excluded.updated_at ${newer} updated_at
    RETURNING seq`;
}
const UPSERT = new Map(GRAINS.map((g) => [g, { ">": upsertSql(g, ">"), ">=": upsertSql(g, ">=") }]));

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
    for (const g of GRAINS) {
      this.sql.exec(`CREATE TABLE IF NOT EXISTS ${g.table} (
        dim TEXT NOT NULL, member TEXT NOT NULL, ${g.key} ${g.keyType} NOT NULL,
        ${g.measures.map((m) => `${m.name} ${sqliteType(m)}`).join(", ")},
        updated_at TEXT NOT NULL, seq INTEGER NOT NULL,
        PRIMARY KEY (dim, member, ${g.key})) WITHOUT ROWID`);
      this.sql.exec(`CREATE INDEX IF NOT EXISTS ${g.table}_seq ON ${g.table} (dim, member, seq)`);
    }
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
    const changed: LiveBuckets = { minutes: [], days: [] };
    for (const g of GRAINS) {
      const sql = UPSERT.get(g)![force ? ">=" : ">"];
      for (const b of buckets[g.list]) {
        const v = b as unknown as Row;
        const row = this.sql
          .exec<{ seq: number }>(
            sql,
            b.dim,
            b.member,
            v[g.key],
            ...g.measures.map((m) => v[m.field]),
            b.updatedAt,
            seq,
          )
          .toArray()[0];
        if (row?.seq === seq) (changed[g.list] as unknown[]).push(b);
      }
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
    const read = (g: Grain, from: string | number | null, empty: Record<string, unknown[]>) => {
      if (from === null) return empty;
      const rows = this.sql.exec<Row>(
        `SELECT ${g.key}, ${names(g)} FROM ${g.table}
          WHERE dim = ? AND member = ? AND ${g.key} >= ? AND seq > ? ORDER BY ${g.key}`,
        slice.dim,
        slice.member,
        from,
        sinceSeq,
      );
      for (const r of rows) {
        empty[g.seriesKey]!.push(r[g.key]);
        for (const m of g.measures) empty[m.name]!.push(r[m.name]);
      }
      return empty;
    };
    return {
      minutes: read(GRAINS[0]!, windows.minuteFrom, emptyMinutes()) as MinuteSeries,
      days: read(DAY_GRAIN, windows.dayFrom, emptyDays()) as DaySeries,
    };
  }

  tiles(slice: Slice, day: string): Tiles {
    const r = this.sql
      .exec<Row>(
        `SELECT ${names(DAY_GRAIN)} FROM day_bucket WHERE dim = ? AND member = ? AND day = ?`,
        slice.dim,
        slice.member,
        day,
      )
      .toArray()[0];
    return r
      ? (Object.fromEntries(DAY_MEASURES.map((m) => [m.name, r[m.name]])) as Tiles)
      : { ...emptyTiles };
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
    for (const g of GRAINS) {
      const grain = g.list === "minutes" ? "minute" : "day";
      const correct = (bucket: unknown, kind: Drift["kind"]) => {
        const b = bucket as Row;
        (corrections[g.list] as unknown[]).push(bucket);
        drift.push({ grain, dim: String(b.dim), member: String(b.member), bucket: String(b[g.key]), kind });
      };
      const key = (r: Row) => `${r.dim}|${r.member}|${r[g.key]}`;
      const held = new Map(
        this.sql
          .exec<Row>(`SELECT * FROM ${g.table} WHERE ${g.key} >= ?`, g.from(window))
          .toArray()
          .map((r) => [key(r), r]),
      );
      for (const bucket of window[g.list]) {
        const b = bucket as unknown as Row;
        const h = held.get(key(b));
        held.delete(key(b));
        if ((h && String(h.updated_at) > String(b.updatedAt)) || String(b.updatedAt) >= settled) continue;
        if (h && g.measures.every((m) => h[m.name] === b[m.field])) continue;
        correct(bucket, h ? "differs" : "missing");
      }
      // Buckets only the room has: zeroed, unless already empty.
      for (const h of held.values()) {
        if (String(h.updated_at) >= settled || g.measures.every((m) => h[m.name] === emptyValue(m))) continue;
        const zeroed = Object.fromEntries(g.measures.map((m) => [m.field, emptyValue(m)]));
        correct(
          { dim: h.dim, member: h.member, [g.key]: h[g.key], ...zeroed, updatedAt: window.readAt },
          "extra",
        );
      }
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
