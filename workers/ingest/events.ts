/**
 * Incoming events and the request-body parser. Pure: no I/O, never throws on input — a body is
 * either malformed as a whole (`BodyError`, answered with 400) or split into events, each accepted
 * or rejected with the rule it breaks and reasons that say what to fix.
 *
 * Two formats: the native one (`event_type`, `entity`, `event_timestamp`, `payload`), validated
 * fully here, and Debezium change events, whose rows become our entities only through the source's
 * table mapping (applied by the consumer, since mappings can change and unmapped events replay).
 */
import { z } from "zod";
import { type DebeziumChange, looksLikeDebezium, parseDebezium } from "./debezium.ts";
import { ENTITIES, type Entity, type EntityEvent, type Rejection, time, validateEntity } from "./entities.ts";

export const MAX_EVENTS_PER_REQUEST = 2_000;

export type Change =
  | { format: "native"; table: Entity; event: EntityEvent }
  | ({ format: "debezium" } & DebeziumChange);

export type ParsedEvent = { ok: true; change: Change } | ({ ok: false } & Rejection);

const nativeEnvelope = z.object({
  event_type: z.enum(["INSERT", "UPDATE", "DELETE"], {
    error: "event_type must be INSERT, UPDATE or DELETE",
  }),
  entity: z.enum(ENTITIES, { error: `entity must be one of ${ENTITIES.join(", ")}` }),
  event_timestamp: time("event_timestamp"),
  // Only its shape here: the entity's schema validates the fields. (`z.record` would copy every key
  // and value through its own checks, for nothing.)
  payload: z.custom<Record<string, unknown>>(
    (value) => typeof value === "object" && value !== null && !Array.isArray(value),
    { error: "payload must be an object" },
  ),
});

/** Validates one event of either format. */
export function parseEvent(raw: unknown): ParsedEvent {
  if (looksLikeDebezium(raw)) {
    const parsed = parseDebezium(raw);
    if (!parsed.ok)
      return {
        ok: false,
        rule:
          parsed.rule ?? (parsed.reasons[0]?.includes("before") ? "delete_without_key" : "invalid_envelope"),
        reasons: parsed.reasons,
      };
    return { ok: true, change: { format: "debezium", ...parsed.change } };
  }
  const head = nativeEnvelope.safeParse(raw);
  if (!head.success) {
    const reasons = head.error.issues.map((i) =>
      i.path.length ? `${i.path.map(String).join(".")}: ${i.message}` : i.message,
    );
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
      reasons.unshift(
        "an event must be an object: native (event_type, entity, event_timestamp, payload) or Debezium (op, before, after, source)",
      );
    }
    const timeIssue = head.error.issues.find((i) => i.path[0] === "event_timestamp");
    const named = timeIssue?.code === "custom" ? (timeIssue.params as { rule?: string })?.rule : undefined;
    const rule = named ?? (timeIssue ? "unparseable_date" : "invalid_envelope");
    return { ok: false, rule, reasons };
  }
  const { entity, event_type: op, event_timestamp: eventTime, payload } = head.data;
  const validated = validateEntity(entity, op, payload, { eventTime, position: null });
  if (!validated.ok) return validated;
  return { ok: true, change: { format: "native", table: entity, event: validated.event } };
}

/** What identifies an event for deduplication (everything but delivery details). */
export function identityOf(change: Change): unknown {
  if (change.format === "native") {
    const e = change.event;
    return { table: change.table, op: e.op, key: e.key, at: e.eventTime, data: e.data };
  }
  return {
    table: change.table,
    op: change.op,
    at: change.eventTime,
    position: change.position,
    before: change.before,
    after: change.after,
  };
}

export class BodyError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * Splits a body into raw events: one JSON object, a JSON array of objects, or NDJSON (one object
 * per line). Throws `BodyError` when the body as a whole cannot be read.
 */
export function splitBody(text: string): unknown[] {
  const trimmed = text.trim();
  if (trimmed === "")
    throw new BodyError("empty_body", "The body is empty; send one event, a JSON array or NDJSON.");
  try {
    const value: unknown = JSON.parse(trimmed);
    if (Array.isArray(value)) return value;
    if (value !== null && typeof value === "object") return [value];
    throw new BodyError("invalid_body", "The body must be a JSON object, an array of objects or NDJSON.");
  } catch (error) {
    if (error instanceof BodyError) throw error;
  }
  return trimmed
    .split(/\r?\n/)
    .map((line, index) => {
      if (line.trim() === "") return undefined;
      try {
        return JSON.parse(line) as unknown;
      } catch {
        throw new BodyError(
          "malformed_json",
          `Line ${index + 1} is not valid JSON; the body must be a JSON object, an array of objects or NDJSON.`,
        );
      }
    })
    .filter((value) => value !== undefined);
}
