import canonicalize from "canonicalize";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { saleEvent } from "../../test/support/events.ts";
import { canonicalJson, eventChecksum } from "./checksum.ts";

describe("canonicalJson", () => {
  it("writes the same text as canonicalize for any JSON value", () => {
    // Well-formed strings only: canonicalize throws on a lone surrogate (see the next test).
    const json = fc.jsonValue({ noUnicodeString: false, maxDepth: 4 });
    fc.assert(
      fc.property(json, (value) => {
        const text = JSON.stringify(value);
        fc.pre(text === undefined || text.isWellFormed());
        const parsed: unknown = text === undefined ? value : JSON.parse(text);
        expect(canonicalJson(parsed)).toBe(canonicalize(parsed));
      }),
      { numRuns: 2_000 },
    );
  });

  it("orders array-index keys as RFC 8785 does, and keeps a __proto__ key", () => {
    const value = JSON.parse('{"b":1,"10":2,"9":3,"a":{"__proto__":{"x":1},"2":null}}');
    expect(canonicalJson(value)).toBe('{"10":2,"9":3,"a":{"2":null,"__proto__":{"x":1}},"b":1}');
    expect(canonicalJson(value)).toBe(canonicalize(value));
  });

  it("gives an event with a lone surrogate a checksum instead of throwing", () => {
    const raw = JSON.parse('{"name":"\\ud800"}');
    expect(eventChecksum("s", raw)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("gives the same checksum whatever the key order of the event", () => {
    const event = saleEvent({ quantity: 2, unitPrice: 10 });
    const reordered = JSON.parse(JSON.stringify(event, Object.keys(event).reverse()));
    const payload = Object.fromEntries(Object.entries(event.payload).reverse());
    expect(eventChecksum("s", { ...reordered, payload })).toBe(eventChecksum("s", event));
  });
});
