/**
 * Debezium change events: the envelope (`before`, `after`, `op`, `ts_ms`, `source`), with or without
 * the `{schema, payload}` wrapper of the JSON converter. Pure.
 */
import { z } from "zod";
import { DATE_OUT_OF_RANGE, type Op, OUT_OF_RANGE, timeInRange } from "./entities.ts";

/** `bronze_sales_events.source_table` and `.position` (varchar(200), varchar(40)). */
const MAX_TABLE = 200;
const MAX_POSITION = 40;

const row = z.record(z.string(), z.unknown());

const envelope = z.object({
  op: z.enum(["c", "u", "d", "r", "t", "m"], { error: "op must be one of c, u, d, r" }),
  before: row.nullable().optional(),
  after: row.nullable().optional(),
  ts_ms: z.number().optional(),
  source: z.looseObject({
    table: z.string({ error: "source.table is required" }).min(1),
    schema: z.string().nullish(),
    db: z.string().nullish(),
    ts_ms: z.number().optional(),
    lsn: z.union([z.number(), z.string()]).nullish(),
  }),
});

export interface DebeziumChange {
  /** `schema.table` (Postgres) or `db.table` (MySQL). */
  table: string;
  op: Op;
  /** Commit time in the source database (source.ts_ms), else the connector's ts_ms. */
  eventTime: string;
  /** The LSN, zero-padded so positions compare as text. */
  position: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

const ops: Record<string, Op> = { c: "INSERT", r: "INSERT", u: "UPDATE", d: "DELETE" };

/** Whether `raw` looks like a Debezium event (so its errors should be reported as such). */
export function looksLikeDebezium(raw: unknown): boolean {
  if (raw === null || typeof raw !== "object") return false;
  const value = "payload" in raw && "schema" in raw ? (raw as { payload: unknown }).payload : raw;
  return value !== null && typeof value === "object" && "op" in value && "source" in value;
}

export function parseDebezium(
  raw: unknown,
): { ok: true; change: DebeziumChange } | { ok: false; rule?: string; reasons: string[] } {
  const unwrapped =
    raw !== null && typeof raw === "object" && "payload" in raw && "schema" in raw
      ? (raw as { payload: unknown }).payload
      : raw;
  const parsed = envelope.safeParse(unwrapped);
  if (!parsed.success) {
    return {
      ok: false,
      reasons: parsed.error.issues.map(
        (i) => `${["debezium", ...i.path.map(String)].join(".")}: ${i.message}`,
      ),
    };
  }
  const e = parsed.data;
  const op = ops[e.op];
  if (!op) {
    return {
      ok: false,
      reasons: [`debezium.op: "${e.op}" (truncate/message) events are not supported; filter them out`],
    };
  }
  const millis = e.source.ts_ms ?? e.ts_ms;
  if (millis === undefined)
    return { ok: false, reasons: ["debezium.source.ts_ms: the change's commit time is required"] };
  if (!Number.isInteger(millis) || !timeInRange(millis)) {
    return {
      ok: false,
      rule: DATE_OUT_OF_RANGE,
      reasons: [
        `debezium.${e.source.ts_ms === undefined ? "" : "source."}ts_ms: ${millis} is not a time between the years 0001 and 9999 in epoch milliseconds`,
      ],
    };
  }
  const namespace = e.source.schema ?? e.source.db;
  const lsn = e.source.lsn;
  const table = namespace ? `${namespace}.${e.source.table}` : e.source.table;
  if (table.length > MAX_TABLE) {
    return {
      ok: false,
      rule: OUT_OF_RANGE,
      reasons: [
        `debezium.source: the table name "${table.slice(0, 40)}…" is longer than ${MAX_TABLE} characters`,
      ],
    };
  }
  if (lsn !== null && lsn !== undefined && String(lsn).length > MAX_POSITION) {
    return {
      ok: false,
      rule: OUT_OF_RANGE,
      reasons: [`debezium.source.lsn: longer than ${MAX_POSITION} characters`],
    };
  }
  const change: DebeziumChange = {
    table,
    op,
    eventTime: new Date(millis).toISOString(),
    position: lsn === null || lsn === undefined ? null : String(lsn).padStart(20, "0"),
    before: e.before ?? null,
    after: e.after ?? null,
  };
  if (op === "DELETE" && !change.before) {
    return {
      ok: false,
      reasons: [
        `debezium.before: a delete on ${change.table} without "before" cannot be matched to a record; ` +
          `give the table a primary key or run ALTER TABLE ${change.table} REPLICA IDENTITY FULL on the source`,
      ],
    };
  }
  if (op !== "DELETE" && !change.after) {
    return { ok: false, reasons: [`debezium.after: a ${e.op} event needs "after"`] };
  }
  return { ok: true, change };
}
