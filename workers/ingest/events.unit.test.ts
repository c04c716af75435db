import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deleteEvent, saleEvent } from "../../test/support/events.ts";
import { BodyError, parseEvent, splitBody } from "./events.ts";

describe("parseEvent", () => {
  it("accepts a native sale and defaults discount and sales_rep_id", () => {
    const raw = saleEvent({ quantity: 3, unitPrice: 10 });
    const { discount: _d, sales_rep_id: _s, ...payload } = raw.payload;
    const parsed = parseEvent({ ...raw, payload });
    expect(parsed.ok).toBe(true);
    if (parsed.ok && parsed.change.format === "native" && parsed.change.event.entity === "sale") {
      const event = parsed.change.event;
      expect(event.op).toBe("INSERT");
      if (event.op !== "DELETE") {
        expect(event.data.discount).toBe(0);
        expect(event.data.sales_rep_id).toBeNull();
      }
      expect(event.key).toBe(raw.payload.sale_id);
    }
  });

  it("accepts a DELETE that carries only the key", () => {
    const id = crypto.randomUUID();
    expect(parseEvent(deleteEvent(id))).toEqual({
      ok: true,
      change: expect.objectContaining({
        format: "native",
        event: expect.objectContaining({ op: "DELETE", key: id }),
      }),
    });
  });

  it.each([
    [{ quantity: -2 }, "payload.quantity: quantity must be a positive integer (got -2)"],
    [{ quantity: 1.5 }, "payload.quantity: quantity must be a positive integer (got 1.5)"],
    [{ unit_price: -1 }, "payload.unit_price: unit_price must not be negative (got -1)"],
    [{ sale_id: "" }, "payload.sale_id: sale_id must not be empty"],
    [
      { currency_code: "usd" },
      "payload.currency_code: currency_code must be a 3-letter ISO 4217 code, e.g. USD",
    ],
    [{ sale_timestamp: "yesterday" }, "payload.sale_timestamp: sale_timestamp must be an ISO 8601 time"],
  ])("rejects %o with a reason that says what to fix", (override, reason) => {
    const raw = saleEvent();
    const parsed = parseEvent({ ...raw, payload: { ...raw.payload, ...override } });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reasons.join("\n")).toContain(reason);
  });

  it("names the hard rule an event breaks", () => {
    const raw = saleEvent();
    const rule = (override: object) => {
      const parsed = parseEvent({ ...raw, payload: { ...raw.payload, ...override } });
      return parsed.ok ? "accepted" : parsed.rule;
    };
    expect(rule({ quantity: 0 })).toBe("quantity_not_positive");
    expect(rule({ unit_price: -1 })).toBe("negative_amount");
    expect(rule({ sale_timestamp: "31/12/2026" })).toBe("unparseable_date");
  });

  it("rejects an unknown event_type and a missing payload", () => {
    const parsed = parseEvent({
      event_type: "UPSERT",
      entity: "sale",
      event_timestamp: new Date().toISOString(),
    });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.reasons).toContain("event_type: event_type must be INSERT, UPDATE or DELETE");
      expect(parsed.reasons.some((r) => r.startsWith("payload:"))).toBe(true);
    }
  });

  it("never throws, whatever it is given", () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const parsed = parseEvent(value);
        expect(parsed.ok || parsed.reasons.length > 0).toBe(true);
      }),
    );
  });
});

describe("splitBody", () => {
  it("reads one object, an array and NDJSON", () => {
    const a = saleEvent();
    const b = saleEvent();
    expect(splitBody(JSON.stringify(a))).toEqual([a]);
    expect(splitBody(JSON.stringify([a, b]))).toEqual([a, b]);
    expect(splitBody(`${JSON.stringify(a)}\n\n${JSON.stringify(b)}\n`)).toEqual([a, b]);
  });

  it.each([
    ["", "empty_body"],
    ["   ", "empty_body"],
    ["{not json", "malformed_json"],
    ['{"a":1}\n{oops', "malformed_json"],
    ["42", "invalid_body"],
    ["null", "invalid_body"],
  ])("refuses %j as a whole (%s)", (body, code) => {
    expect(() => splitBody(body)).toThrow(BodyError);
    try {
      splitBody(body);
    } catch (error) {
      expect((error as BodyError).code).toBe(code);
    }
  });

  it("either splits or refuses any string, never anything else", () => {
    fc.assert(
      fc.property(fc.string(), (body) => {
        try {
          expect(Array.isArray(splitBody(body))).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(BodyError);
        }
      }),
    );
  });
});
