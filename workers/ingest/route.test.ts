import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { saleEvent } from "../../test/support/events.ts";
import { createSource, eventually, postSigned, query, unusedPastDay } from "../test-support.ts";
import { signedHeaders } from "./signature.ts";

let source: { name: string; secret: string };
beforeAll(async () => {
  source = await createSource();
});

async function bronzeCount(saleId: string): Promise<number> {
  const [row] = await query<{ n: number }>(
    "SELECT count(*)::int AS n FROM bronze_sales_events WHERE raw_payload -> 'payload' ->> 'sale_id' = $1",
    [saleId],
  );
  return row?.n ?? 0;
}

describe("POST /api/v1/cdc/:source", () => {
  it("accepts a signed event with 202 and lands it in bronze and the day's rollup", async () => {
    const day = await unusedPastDay();
    const event = saleEvent({ quantity: 3, unitPrice: 10, saleTimestamp: `${day}T12:00:00Z` });
    const response = await postSigned(source, JSON.stringify(event));
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ accepted: 1, rejected: 0 });
    const rows = await eventually(
      () =>
        query<{ revenue: string; orders: number }>(
          "SELECT revenue::text, orders FROM kpi_day_slice WHERE dim = 'all' AND day = $1",
          [day],
        ),
      (r) => r.length > 0,
    );
    expect(rows).toEqual([{ revenue: "30.00", orders: 1 }]);
    expect(await bronzeCount(event.payload.sale_id)).toBe(1);
  });

  it("answers 401 with the reason for a wrong, missing or expired signature, and stores nothing", async () => {
    const event = saleEvent();
    const body = JSON.stringify(event);
    const wrong = await postSigned(
      { name: source.name, secret: "whsec_dGhpcyBpcyBub3QgdGhlIHNlY3JldA==" },
      body,
    );
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({
      error: {
        code: "invalid_signature",
        message: "webhook-signature does not match the body with this source's secret",
      },
    });

    const missing = await exports.default.fetch(`http://pulse.test/api/v1/cdc/${source.name}`, {
      method: "POST",
      body,
    });
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(
      /headers are required/,
    );

    const old = new Date(Date.now() - 10 * 60_000);
    const expired = await postSigned(
      source,
      body,
      signedHeaders(source.secret, body, crypto.randomUUID(), old),
    );
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { error: { message: string } }).error.message).toMatch(
      /more than 5 minutes old/,
    );

    // Give a wrongly accepted event every chance to land before checking it did not.
    await new Promise((r) => setTimeout(r, 300));
    expect(await bronzeCount(event.payload.sale_id)).toBe(0);
  });

  it("answers an unknown source with the 401 of a wrong signature (names are not disclosed)", async () => {
    const response = await postSigned(
      { name: "no-such-source", secret: source.secret },
      JSON.stringify(saleEvent()),
    );
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      error: {
        code: "invalid_signature",
        message: "webhook-signature does not match the body with this source's secret",
      },
    });
  });

  it("answers 400 for malformed JSON and stores nothing", async () => {
    const response = await postSigned(source, '{"event_type": "INSERT", ');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: "malformed_json" } });
  });

  it("answers 413 for a body over the limit and for too many events", async () => {
    const big = JSON.stringify({ padding: "x".repeat(2 * 1024 * 1024 + 10) });
    const tooBig = await postSigned(source, big);
    expect(tooBig.status).toBe(413);
    expect(await tooBig.json()).toMatchObject({ error: { code: "body_too_large" } });

    const many = JSON.stringify(Array.from({ length: 2_001 }, () => ({ e: 1 })));
    const tooMany = await postSigned(source, many);
    expect(tooMany.status).toBe(413);
    expect(await tooMany.json()).toMatchObject({ error: { code: "too_many_events" } });
  });

  it("accepts 1,000 events (about 1 MB with padding) in one request, all of which land", async () => {
    const day = await unusedPastDay();
    const events = Array.from({ length: 1_000 }, () =>
      saleEvent({ quantity: 1, unitPrice: 2.5, saleTimestamp: `${day}T08:00:00Z` }),
    );
    const body = JSON.stringify(events).padEnd(1_000_000, " ");
    const response = await postSigned(source, body);
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ accepted: 1_000 });
    const rows = await eventually(
      () =>
        query<{ revenue: string; orders: number }>(
          "SELECT revenue::text, orders FROM kpi_day_slice WHERE dim = 'all' AND day = $1",
          [day],
        ),
      (r) => r[0]?.orders === 1_000,
      20_000,
    );
    expect(rows).toEqual([{ revenue: "2500.00", orders: 1_000 }]);
  });

  it("keeps valid events of a mixed request and quarantines the invalid ones with their reasons", async () => {
    const good = saleEvent();
    const bad = saleEvent({ quantity: -2 });
    const response = await postSigned(source, [good, bad].map((e) => JSON.stringify(e)).join("\n"));
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({
      accepted: 1,
      repeated_in_request: 0,
      rejected: 1,
      errors: [
        {
          index: 1,
          rule: "quantity_not_positive",
          reasons: ["payload.quantity: quantity must be a positive integer (got -2)"],
        },
      ],
    });
    const quarantined = await eventually(
      () =>
        query<{ reason: string }>(
          "SELECT reason FROM quarantine WHERE raw_event -> 'payload' ->> 'sale_id' = $1",
          [bad.payload.sale_id],
        ),
      (r) => r.length > 0,
    );
    expect(quarantined).toEqual([
      { reason: "payload.quantity: quantity must be a positive integer (got -2)" },
    ]);
    expect(
      await eventually(
        () => bronzeCount(good.payload.sale_id),
        (n) => n === 1,
      ),
    ).toBe(1);
  });

  it("answers 422 when no event is valid, and still keeps them", async () => {
    const bad = saleEvent({ unitPrice: -5 });
    const response = await postSigned(source, JSON.stringify([bad]));
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ error: { code: "invalid_events" } });
    const quarantined = await eventually(
      () =>
        query("SELECT 1 FROM quarantine WHERE raw_event -> 'payload' ->> 'sale_id' = $1", [
          bad.payload.sale_id,
        ]),
      (r) => r.length > 0,
    );
    expect(quarantined).toHaveLength(1);
  });

  it("counts an identical event once, whether repeated in a request or sent again", async () => {
    const day = await unusedPastDay();
    const event = saleEvent({ quantity: 2, unitPrice: 7, saleTimestamp: `${day}T09:00:00Z` });
    const body = JSON.stringify([event, event]);
    const first = await postSigned(source, body);
    expect(await first.json()).toMatchObject({ accepted: 1, repeated_in_request: 1 });
    await eventually(
      () => query("SELECT 1 FROM kpi_day_slice WHERE dim = 'all' AND day = $1", [day]),
      (r) => r.length > 0,
    );
    const again = await postSigned(source, JSON.stringify(event));
    expect(again.status).toBe(202);
    await new Promise((r) => setTimeout(r, 500));
    expect(
      await query("SELECT revenue::text, orders FROM kpi_day_slice WHERE dim = 'all' AND day = $1", [day]),
    ).toEqual([{ revenue: "14.00", orders: 1 }]);
    expect(await bronzeCount(event.payload.sale_id)).toBe(1);
  });
});
