/**
 * Nothing accepted is lost, whatever the input: values the database cannot hold are quarantined
 * at the webhook with the rule they break, what only the database can refuse is isolated by the
 * consumer, and bodies that cannot be read get a clear 4xx — with the ledger balanced after each.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { saleEvent } from "../../test/support/events.ts";
import { type Ledger, settledLedger } from "../../test/support/ledger.ts";
import worker from "../index.ts";
import type { CdcMessage } from "../pipeline/message.ts";
import { admin, createSource, eventually, postSigned, query } from "../test-support.ts";
import { eventChecksum } from "./checksum.ts";
import { identityOf, parseEvent } from "./events.ts";
import { signedHeaders } from "./signature.ts";

const health = () => admin("/api/v1/pipeline/health");

async function quarantined(source: string) {
  return query<{ rule: string; reason: string; raw_event: unknown }>(
    "SELECT rule, reason, raw_event FROM quarantine WHERE source_system = $1 AND replayed_at IS NULL ORDER BY id",
    [source],
  );
}

async function landed(saleIds: string[]): Promise<string[]> {
  const rows = await query<{ sale_id: string }>(
    "SELECT sale_id FROM silver_sales_clean WHERE sale_id = ANY($1::text[]) ORDER BY sale_id",
    [saleIds],
  );
  return rows.map((r) => r.sale_id);
}

function balanced(ledger: Ledger, accepted: number, quarantine: number) {
  expect(ledger).toMatchObject({
    accepted,
    processed: accepted - quarantine,
    quarantined: quarantine,
    unmapped: 0,
    dead_lettered: 0,
    in_flight: 0,
  });
}

describe("values the database cannot hold, at the webhook", () => {
  it.each([
    [
      "quantity past the integer range",
      { quantity: 3_000_000_000 },
      "out_of_range",
      /quantity must be at most/,
    ],
    ["unit_price past numeric(14,2)", { unitPrice: 1e15 }, "out_of_range", /unit_price must be at most/],
    [
      "a line total past the rollups' precision",
      { quantity: 2_000_000, unitPrice: 9_000_000 },
      "out_of_range",
      /quantity × unit_price/,
    ],
    [
      "a sale in year 0",
      { saleTimestamp: "0000-06-01T00:00:00Z" },
      "date_out_of_range",
      /years 0001 and 9999/,
    ],
  ])(
    "%s: quarantined with its rule, the valid sale of the same request lands",
    async (_, bad, rule, reason) => {
      const source = await createSource("range");
      const good = saleEvent();
      const poison = saleEvent(bad);
      const response = await postSigned(source, JSON.stringify([good, poison]));
      expect(response.status).toBe(202);
      expect(await response.json()).toMatchObject({ accepted: 1, rejected: 1, errors: [{ index: 1, rule }] });
      const rows = await eventually(
        () => quarantined(source.name),
        (r) => r.length > 0,
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ rule });
      expect(rows[0]!.reason).toMatch(reason);
      expect(
        await eventually(
          () => landed([good.payload.sale_id]),
          (r) => r.length === 1,
        ),
      ).toEqual([good.payload.sale_id]);
      balanced(await settledLedger(health, source.name, 2), 2, 1);
    },
  );

  it("a varchar past its length and a Debezium ts_ms out of range are quarantined too", async () => {
    const source = await createSource("range");
    const longRegion = saleEvent({ region: "R".repeat(51) });
    const debezium = {
      op: "c",
      before: null,
      after: { id: 1 },
      source: { table: "orders", schema: "public", ts_ms: 1e20, lsn: 1 },
    };
    const good = saleEvent();
    const response = await postSigned(source, JSON.stringify([longRegion, debezium, good]));
    expect(response.status).toBe(202);
    const body = (await response.json()) as { errors: { index: number; rule: string }[] };
    expect(body.errors.map((e) => [e.index, e.rule])).toEqual([
      [0, "invalid_field"],
      [1, "date_out_of_range"],
    ]);
    balanced(await settledLedger(health, source.name, 3), 3, 2);
  });

  it("an event too deep, too large (a huge array) or with text Postgres cannot store is quarantined, never a 500", async () => {
    const source = await createSource("shape");
    let deep: unknown = { leaf: true };
    for (let i = 0; i < 5_000; i++) deep = [deep];
    const huge = { ...saleEvent(), extra: Array.from({ length: 40_000 }, (_, i) => i) };
    const nul = saleEvent({ region: "EM\u0000EA" });
    const surrogate = saleEvent({ region: "EM\ud800EA" });
    const good = saleEvent();
    const response = await postSigned(source, JSON.stringify([deep, huge, nul, surrogate, good]));
    expect(response.status).toBe(202);
    const body = (await response.json()) as { errors: { index: number; rule: string }[] };
    expect(body.errors.map((e) => [e.index, e.rule])).toEqual([
      [0, "too_deep"],
      [1, "event_too_large"],
      [2, "unstorable_text"],
      [3, "unstorable_text"],
    ]);
    const rows = await eventually(
      () => quarantined(source.name),
      (r) => r.length === 4,
    );
    expect(rows.map((r) => r.rule)).toEqual([
      "too_deep",
      "event_too_large",
      "unstorable_text",
      "unstorable_text",
    ]);
    expect(rows[2]!.raw_event).toMatchObject({ payload: { region: "EM\ufffdEA" } });
    balanced(await settledLedger(health, source.name, 5), 5, 4);
  });

  it("answers 400 for a body that is not UTF-8 and 413 for a chunked body past the limit, accepting nothing", async () => {
    const source = await createSource("body");
    const bytes = new Uint8Array([
      ...new TextEncoder().encode('{"a":"'),
      0xff,
      0xfe,
      ...new TextEncoder().encode('"}'),
    ]);
    const invalid = await exports.default.fetch(`http://pulse.test/api/v1/cdc/${source.name}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...signedHeaders(source.secret, "x") },
      body: bytes,
    });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ error: { code: "invalid_utf8" } });

    // No Content-Length: the limit is enforced as the chunks arrive.
    const chunk = new TextEncoder().encode(" ".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 4 * 1024 * 1024) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const chunked = await exports.default.fetch(`http://pulse.test/api/v1/cdc/${source.name}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...signedHeaders(source.secret, "x") },
      body: stream,
    });
    expect(chunked.status).toBe(413);
    expect(await chunked.json()).toMatchObject({ error: { code: "body_too_large" } });
    expect(sent).toBeLessThan(4 * 1024 * 1024);
    const ledger = await settledLedger(health, source.name, 0, 500);
    expect(ledger.accepted).toBe(0);
  });
});

describe("what only the database can refuse, in the consumer", () => {
  it("isolates the refused event: the rest of its request and the other requests of the batch land", async () => {
    const source = await createSource("refused");
    // A rate that takes a valid price past numeric(14,2) once converted: only the database knows.
    await query(
      `INSERT INTO exchange_rates (currency_code, rate_to_reporting) VALUES ('XRF', 10000)
       ON CONFLICT (currency_code) DO UPDATE SET rate_to_reporting = 10000`,
    );
    const poison = { ...saleEvent({ unitPrice: 900_000_000 }) };
    poison.payload.currency_code = "XRF";
    const a = saleEvent();
    const b = saleEvent();
    const c = saleEvent();
    const message = (events: unknown[]): CdcMessage => ({
      v: 1,
      id: crypto.randomUUID(),
      source: source.name,
      received_at: new Date().toISOString(),
      events: events.map((raw) => {
        const parsed = parseEvent(raw);
        if (!parsed.ok) throw new Error(parsed.reasons.join("; "));
        return { checksum: eventChecksum(source.name, identityOf(parsed.change)), raw };
      }),
      rejected: [],
    });
    const bodies = [message([a, poison, b]), message([c])];
    for (let attempt = 1; attempt <= 2; attempt++) {
      // Twice: a redelivery changes nothing (no second quarantine row, no double count).
      const batch = createMessageBatch<unknown>(
        "cdc-events",
        bodies.map((body, i) => ({
          id: `refused-${i}-${body.id}`,
          timestamp: new Date(),
          attempts: attempt,
          body,
        })),
      );
      const ctx = createExecutionContext();
      await worker.queue(batch, env, ctx);
      const result = await getQueueResult(batch, ctx);
      expect(result.retryMessages).toEqual([]);
      expect(result.retryBatch.retry).toBe(false);
    }
    const ids = [a, b, c].map((e) => e.payload.sale_id).sort();
    expect(await landed(ids)).toEqual(ids);
    const rows = await quarantined(source.name);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ rule: "refused_by_database" });
    expect(rows[0]!.reason).toMatch(/numeric field overflow/);
    balanced(await settledLedger(health, source.name, 4), 4, 1);
  });
});
