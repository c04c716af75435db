/**
 * Debezium change events: the envelope (`before`, `after`, `op`, `ts_ms`, `source`), with or without
 * the `{schema, payload}` wrapper of the JSON converter. Pure.
 */
import { z } from "zod";
import type { Op } from "./entities.ts";

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
): { ok: true; change: DebeziumChange } | { ok: false; reasons: string[] } {
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
  const namespace = e.source.schema ?? e.source.db;
  const lsn = e.source.lsn;
  const change: DebeziumChange = {
    table: namespace ? `${namespace}.${e.source.table}` : e.source.table,
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
