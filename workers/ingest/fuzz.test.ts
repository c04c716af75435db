/**
 * The webhook fuzzed (fast-check): arbitrary JSON, arbitrary Debezium envelopes and sales at the
 * boundaries of what the columns hold. Every answer is 2xx or 4xx, never 5xx; and every event kept
 * (accepted, or rejected and quarantined) is accounted for: landed, quarantined or unmapped.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { saleEvent } from "../../test/support/events.ts";
import { settledLedger } from "../../test/support/ledger.ts";
import { admin, createSource, postSigned } from "../test-support.ts";

const health = () => admin("/api/v1/pipeline/health");

/** Strings of any UTF-16 code units: NUL, lone surrogates, emoji, long runs. */
const anyText = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 12 }),
  fc.constantFrom(
    "",
    "EMEA",
    "x".repeat(50),
    "x".repeat(51),
    "y".repeat(100),
    "y".repeat(101),
    "z".repeat(256),
  ),
);

const boundaryNumber = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    1,
    -1,
    0.5,
    0.001,
    2_147_483_647,
    2_147_483_648,
    3_000_000_000,
    999_999_999_999.99,
    1e12,
    1e15,
    1e21,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
    8.64e15,
    8.64e15 + 1,
    -62_135_596_800_000,
    253_402_300_799_999,
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

const boundaryTime = fc.oneof(
  fc.constantFrom(
    "0000-01-01T00:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "0001-01-02T00:00:00Z",
    "1970-01-01T00:00:00Z",
    "2026-02-29T00:00:00Z",
    "2024-02-29T23:59:59.999999-12:00",
    "9999-12-31T23:59:59-14:00",
    "not a time",
  ),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);

const sale = fc.record({
  event_type: fc.constantFrom("INSERT", "UPDATE", "DELETE", "UPSERT"),
  entity: fc.constantFrom("sale", "sale", "customer", "product", "planet"),
  event_timestamp: boundaryTime,
  payload: fc.record(
    {
      sale_id: fc.oneof(fc.uuid(), anyText, boundaryNumber),
      customer_id: fc.oneof(fc.uuid(), anyText),
      product_id: fc.oneof(fc.uuid(), anyText),
      sale_timestamp: boundaryTime,
      quantity: boundaryNumber,
      unit_price: boundaryNumber,
      discount: boundaryNumber,
      unit_cost: boundaryNumber,
      currency_code: fc.constantFrom("USD", "EUR", "usd", "XTS", ""),
      region: anyText,
      sales_rep_id: fc.oneof(fc.constant(null), anyText),
      customer_name: anyText,
      acquisition_date: fc.constantFrom("0000-01-01", "2024-02-29", "2023-02-29", "9999-12-31"),
    },
    { requiredKeys: ["sale_id"] },
  ),
});

const debezium = fc.record(
  {
    op: fc.constantFrom("c", "u", "d", "r", "t", "m", "x"),
    before: fc.option(fc.dictionary(anyText, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 })),
    after: fc.option(fc.dictionary(anyText, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 })),
    ts_ms: boundaryNumber,
    source: fc.record(
      {
        table: fc.oneof(anyText, fc.constant("t".repeat(201))),
        schema: fc.option(anyText),
        db: fc.option(anyText),
        ts_ms: boundaryNumber,
        lsn: fc.option(fc.oneof(boundaryNumber, anyText, fc.constant("9".repeat(41)))),
      },
      { requiredKeys: ["table"] },
    ),
  },
  { requiredKeys: ["op", "source"] },
);

const body = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc
    .array(fc.oneof(sale, debezium, fc.jsonValue({ maxDepth: 3 })), { minLength: 1, maxLength: 6 })
    .map((events) => JSON.stringify(events)),
  fc
    .array(fc.oneof(sale, debezium), { minLength: 1, maxLength: 4 })
    .map((events) => events.map((e) => JSON.stringify(e)).join("\n")),
  fc.string({ maxLength: 40 }),
  // A valid sale among fuzzed events in one request: it must land whatever its neighbours hold
  // (and the run always has requests that are accepted).
  fc.tuple(fc.array(fc.oneof(sale, debezium), { maxLength: 4 }), fc.nat()).map(([events, at]) => {
    const mixed: unknown[] = [...events];
    mixed.splice(at % (events.length + 1), 0, saleEvent());
    return JSON.stringify(mixed);
  }),
);

describe("the webhook, fuzzed", () => {
  it("answers 2xx or 4xx, never 5xx, and accounts for every event it kept", async () => {
    const source = await createSource("fuzz");
    let kept = 0;
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const response = await postSigned(source, text);
        statuses.add(response.status);
        const answer = (await response.json()) as {
          accepted?: number;
          rejected?: number;
          error?: { code: string; details?: unknown[] };
        };
        expect(response.status, text.slice(0, 300)).toBeGreaterThanOrEqual(200);
        expect(response.status, text.slice(0, 300)).toBeLessThan(500);
        if (response.status === 202) kept += (answer.accepted ?? 0) + (answer.rejected ?? 0);
        if (response.status === 422) kept += answer.error?.details?.length ?? 0;
      }),
      { numRuns: 150 },
    );
    expect([...statuses].some((s) => s === 202)).toBe(true);
    const ledger = await settledLedger(health, source.name, kept, 30_000);
    expect(ledger.accepted).toBe(kept);
    expect(ledger.in_flight).toBe(0);
    expect(ledger.dead_lettered).toBe(0);
    expect(ledger.processed + ledger.duplicates + ledger.quarantined + ledger.unmapped).toBe(kept);
  }, 120_000);
});
