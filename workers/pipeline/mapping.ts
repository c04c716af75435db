/**
 * Table mappings: a source table's row becomes one of our entities by renaming its columns to our
 * fields, filling defaults, and converting Debezium's encodings (numeric strings, epoch times). Pure.
 */
import type { DebeziumChange } from "../ingest/debezium.ts";
import {
  type Entity,
  type EntityEvent,
  type Rejection,
  timeInRange,
  validateEntity,
} from "../ingest/entities.ts";

export interface Mapping {
  entity: Entity;
  /** source column → our field */
  columns: Record<string, string>;
  defaults: Record<string, unknown>;
}

const NUMBER_FIELDS = new Set(["quantity", "unit_price", "discount", "unit_cost"]);
const TIME_FIELDS = new Set(["sale_timestamp"]);
const DATE_FIELDS = new Set(["acquisition_date"]);

/**
 * Debezium sends times as epoch days, millis or micros depending on the column type. A value no
 * date can have is passed on as it is, for the entity's schema to reject with its rule.
 */
function epochToIso(value: number): string | number {
  const ms =
    Math.abs(value) < 100_000
      ? value * 86_400_000 // io.debezium.time.Date
      : Math.abs(value) < 1e14
        ? value // Timestamp (ms)
        : Math.trunc(value / 1000); // MicroTimestamp
  return timeInRange(ms) ? new Date(ms).toISOString() : value;
}

function convert(field: string, value: unknown, column: string): { value: unknown } | { error: string } {
  if (value === null || value === undefined) return { value: undefined };
  if (NUMBER_FIELDS.has(field) && typeof value === "string") {
    const n = Number(value);
    if (value.trim() !== "" && Number.isFinite(n)) return { value: n };
    return {
      error:
        `${column}: "${value}" is not a number — if this is Debezium's binary decimal encoding, ` +
        "set decimal.handling.mode=string (or double) on the connector",
    };
  }
  if (TIME_FIELDS.has(field) && typeof value === "number") return { value: epochToIso(value) };
  if (DATE_FIELDS.has(field) && typeof value === "number") {
    const iso = epochToIso(value);
    return { value: typeof iso === "string" ? iso.slice(0, 10) : iso };
  }
  return { value };
}

export function applyMapping(
  change: DebeziumChange,
  mapping: Mapping,
): { ok: true; event: EntityEvent } | ({ ok: false } & Rejection) {
  const row = (change.op === "DELETE" ? change.before : change.after) ?? {};
  const fields: Record<string, unknown> = {};
  const errors: string[] = [];
  for (const [column, field] of Object.entries(mapping.columns)) {
    if (!(column in row)) continue;
    const converted = convert(field, row[column], `${change.table}.${column}`);
    if ("error" in converted) errors.push(converted.error);
    else if (converted.value !== undefined) fields[field] = converted.value;
  }
  if (errors.length > 0) return { ok: false, rule: "invalid_field", reasons: errors };
  for (const [field, value] of Object.entries(mapping.defaults)) {
    if (fields[field] === undefined) fields[field] = value;
  }
  return validateEntity(
    mapping.entity,
    change.op,
    fields,
    { eventTime: change.eventTime, position: change.position },
    change.table,
  );
}
