/**
 * The native CDC event format and the request-body parser. Pure: no I/O, never throws on input —
 * a body is either malformed as a whole (`BodyError`, answered with 400) or split into events that
 * are accepted and events rejected with reasons that say what to fix.
 */
import { z } from "zod";

export const MAX_EVENTS_PER_REQUEST = 2_000;

const uuid = (field: string) => z.uuid({ error: `${field} must be a UUID` });
const isoTime = (field: string) =>
  z.iso.datetime({
    offset: true,
    error: `${field} must be an ISO 8601 time with a timezone, e.g. 2026-11-25T10:00:00Z`,
  });
const money = (field: string) =>
  z
    .number({ error: `${field} must be a number` })
    .refine(Number.isFinite, `${field} must be a finite number`)
    .refine((v) => v >= 0, { error: (i) => `${field} must not be negative (got ${String(i.input)})` });

export const salePayload = z.object({
  sale_id: uuid("sale_id"),
  customer_id: uuid("customer_id"),
  product_id: uuid("product_id"),
  sale_timestamp: isoTime("sale_timestamp"),
  quantity: z.number({ error: "quantity must be a number" }).refine((v) => Number.isInteger(v) && v > 0, {
    error: (i) => `quantity must be a positive integer (got ${String(i.input)})`,
  }),
  unit_price: money("unit_price"),
  discount: money("discount").default(0),
  unit_cost: money("unit_cost").optional(),
  currency_code: z.string().regex(/^[A-Z]{3}$/, "currency_code must be a 3-letter ISO 4217 code, e.g. USD"),
  region: z.string().min(1, "region must not be empty").max(50, "region must be at most 50 characters"),
  sales_rep_id: uuid("sales_rep_id").nullable().default(null),
});
export type SalePayload = z.infer<typeof salePayload>;

const eventType = z.enum(["INSERT", "UPDATE", "DELETE"], {
  error: "event_type must be INSERT, UPDATE or DELETE",
});
const envelope = z.object({
  event_type: eventType,
  entity: z.string({ error: "entity must be a string, e.g. sale" }),
  event_timestamp: isoTime("event_timestamp"),
  payload: z.record(z.string(), z.unknown(), { error: "payload must be an object" }),
});

export type SaleEvent =
  | { entity: "sale"; op: "INSERT" | "UPDATE"; eventTimestamp: string; key: string; sale: SalePayload }
  | { entity: "sale"; op: "DELETE"; eventTimestamp: string; key: string };

export type ParsedEvent = { ok: true; event: SaleEvent } | { ok: false; reasons: string[] };

function describe(error: z.ZodError, prefix: string): string[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join(".");
    return path ? `${path}: ${issue.message}` : issue.message;
  });
}

/** Validates one native event. */
export function parseEvent(raw: unknown): ParsedEvent {
  const head = envelope.safeParse(raw);
  if (!head.success) return { ok: false, reasons: describe(head.error, "") };
  const { entity, event_type: op, event_timestamp: eventTimestamp, payload } = head.data;
  if (entity !== "sale") {
    return { ok: false, reasons: [`entity: "${entity}" is not supported yet; send entity "sale"`] };
  }
  if (op === "DELETE") {
    const key = uuid("sale_id").safeParse(payload.sale_id);
    if (!key.success) return { ok: false, reasons: ["payload.sale_id: a DELETE needs the sale_id (a UUID)"] };
    return { ok: true, event: { entity, op, eventTimestamp, key: key.data } };
  }
  const sale = salePayload.safeParse(payload);
  if (!sale.success) return { ok: false, reasons: describe(sale.error, "payload") };
  return { ok: true, event: { entity, op, eventTimestamp, key: sale.data.sale_id, sale: sale.data } };
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
  const lines = trimmed.split(/\r?\n/);
  return lines
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
