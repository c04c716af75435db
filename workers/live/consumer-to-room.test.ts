/**
 * The consumer feeds the dashboards' room: one RPC per batch with the absolute values of the minute
 * and day buckets the batch touched, equal to an independent computation, and a redelivered batch
 * changes nothing a dashboard sees.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { saleEvent } from "../../test/support/events.ts";
import { TEST_VIEWER_TOKEN } from "../../test/support/tokens.ts";
import { withDb } from "../db/client.ts";
import worker from "../index.ts";
import { eventChecksum } from "../ingest/checksum.ts";
import type { CdcMessage } from "../pipeline/message.ts";
import { eventually, query } from "../test-support.ts";
import { minuteOf } from "./buckets.ts";
import { COALESCE_MS } from "./kpi-room.ts";
import { reconcileLiveRoom } from "./reconcile.ts";
import { fnv1a, liveRoom, shardRooms } from "./room-stub.ts";
import { connect, member, sleep, today } from "./test-room.ts";

let counter = 0;
async function deliver(events: ReturnType<typeof saleEvent>[], attempts = 1) {
  const body: CdcMessage = {
    v: 1,
    source: "live-test",
    received_at: new Date().toISOString(),
    events: events.map((raw) => ({ checksum: eventChecksum("live-test", raw), raw })),
    rejected: [],
  };
  const batch = createMessageBatch<CdcMessage>("cdc-events", [
    { id: `live-${++counter}`, timestamp: new Date(), attempts, body },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<unknown>, env, ctx);
  const result = await getQueueResult(batch, ctx);
  expect(result.retryBatch.retry).toBe(false);
}

describe("consumer → live room", () => {
  it("sends the absolute minute and day values of a batch, and a redelivery changes nothing", async () => {
    const region = member("EMEA");
    const now = Date.now();
    // Sales in this minute and two minutes ago (inside the 48-hour window), and one 3 days ago
    // (outside it: a day bucket only).
    const at = (msAgo: number) => new Date(now - msAgo).toISOString();
    const events = [
      saleEvent({ region, saleTimestamp: at(0), quantity: 2, unitPrice: 10 }),
      saleEvent({ region, saleTimestamp: at(0), quantity: 1, unitPrice: 5.5, discount: 0.5 }),
      saleEvent({ region, saleTimestamp: at(120_000), quantity: 3, unitPrice: 7 }),
      saleEvent({ region, saleTimestamp: at(3 * 86_400_000), quantity: 1, unitPrice: 99 }),
    ];
    const client = await connect(liveRoom(env));
    const snapshot = await client.subscribe({ filter: { region }, minutes: 60, days: 7 });
    expect(snapshot.tiles.orders).toBe(0);

    await deliver(events);
    const recent = events.filter((e) => Date.parse(e.payload.sale_timestamp) > now - 86_400_000);
    const byMinute = new Map<number, { orders: number; revenue: number }>();
    for (const e of recent) {
      const m = minuteOf(Date.parse(e.payload.sale_timestamp));
      const b = byMinute.get(m) ?? { orders: 0, revenue: 0 };
      b.orders += 1;
      b.revenue += e.payload.quantity * e.payload.unit_price;
      byMinute.set(m, b);
    }
    const minutes = [...byMinute.keys()].sort();
    const todays = events.filter((e) => e.payload.sale_timestamp.slice(0, 10) === today());

    // Additive values arrive with the batch's RPC; unique customers once the room has had the
    // touched slices recomputed (from its alarm, right after).
    const view = await eventually(
      () => liveRoom(env).view({ filter: { region }, minutes: 60, days: 7 }),
      (v) => v.tiles.unique_customers === todays.length,
    );
    expect(view.minutes.t).toEqual(minutes);
    expect(view.minutes.orders).toEqual(minutes.map((m) => byMinute.get(m)!.orders));
    expect(view.minutes.revenue).toEqual(minutes.map((m) => byMinute.get(m)!.revenue));
    expect(view.tiles).toMatchObject({
      orders: todays.length,
      revenue: todays.reduce((s, e) => s + e.payload.quantity * e.payload.unit_price, 0),
      unique_customers: todays.length,
    });
    expect(view.days.day).toContain(events[3]!.payload.sale_timestamp.slice(0, 10));

    // Postgres holds the same minute values (the independent computation again).
    const rows = await query<{ minute: number; orders: number }>(
      `SELECT extract(epoch FROM minute)::int AS minute, orders FROM kpi_minute_slice
        WHERE dim = 'region' AND member = $1 ORDER BY minute`,
      [region],
    );
    expect(rows).toEqual(minutes.map((m) => ({ minute: m, orders: byMinute.get(m)!.orders })));

    // The dashboard got the change…
    await client.next((m) => m.type === "delta" && m.tiles.orders === todays.length);
    const seen = client.frames.length;
    const { seq } = await liveRoom(env).status();
    // …and a redelivered batch (twice) moves nothing: no new sequence number, no frame.
    await deliver(events, 2);
    await deliver(events, 3);
    await sleep(3 * COALESCE_MS);
    expect((await liveRoom(env).status()).seq).toBe(seq);
    expect(
      client.frames.slice(seen).filter((m) => m.type === "delta" && m.tiles.orders !== todays.length),
    ).toEqual([]);
    const again = await liveRoom(env).view({ filter: { region }, minutes: 60, days: 7 });
    expect({ ...again, as_of: "" }).toEqual({ ...view, as_of: "" });
    client.close();
  });

  it("moves a sale between minutes when an update changes its time", async () => {
    const region = member("APAC");
    const saleId = crypto.randomUUID();
    const first = new Date(Date.now() - 10 * 60_000);
    const second = new Date(Date.now() - 60_000);
    await deliver([
      saleEvent({ saleId, region, saleTimestamp: first.toISOString(), eventTimestamp: first.toISOString() }),
    ]);
    await deliver([
      saleEvent({
        saleId,
        region,
        eventType: "UPDATE",
        saleTimestamp: second.toISOString(),
        eventTimestamp: second.toISOString(),
      }),
    ]);
    const view = await liveRoom(env).view({ filter: { region }, minutes: 60 });
    expect(view.minutes.t).toEqual([minuteOf(first.getTime()), minuteOf(second.getTime())]);
    expect(view.minutes.orders).toEqual([0, 1]);
  });

  it("reaches dashboards on shard rooms: the root forwards each change, shards match the root", async () => {
    const region = member("EMEA");
    const viaRoute = (client: string) =>
      exports.default.fetch(`http://pulse.test/api/v1/live?token=${TEST_VIEWER_TOKEN}&client=${client}`, {
        headers: { Upgrade: "websocket" },
      });
    // Two keys that hash to different shards.
    const keys = ["tab-a", "tab-b", "tab-c", "tab-d"];
    const [k1, k2] = [keys[0]!, keys.find((k) => fnv1a(k) % 2 !== fnv1a(keys[0]!) % 2)!];
    const first = await connect(await viaRoute(k1));
    const second = await connect(await viaRoute(k2));
    await first.subscribe({ filter: { region } });
    await second.subscribe({ filter: { region } });

    await deliver([saleEvent({ region, quantity: 2, unitPrice: 21 })]);
    for (const client of [first, second]) {
      expect(await client.next((m) => m.type === "delta")).toMatchObject({
        tiles: { orders: 1, revenue: 42 },
      });
    }
    const root = await liveRoom(env).view({ filter: { region }, minutes: 60, days: 7 });
    for (const shard of shardRooms(env)) {
      const view = await shard.view({ filter: { region }, minutes: 60, days: 7 });
      expect({ tiles: view.tiles, minutes: view.minutes, days: view.days }).toEqual({
        tiles: root.tiles,
        minutes: root.minutes,
        days: root.days,
      });
    }
    const status = await (
      await exports.default.fetch("http://pulse.test/api/v1/live/status", {
        headers: { authorization: `Bearer ${TEST_VIEWER_TOKEN}` },
      })
    ).json<{ shards: { sockets: number }[] }>();
    expect(status.shards).toHaveLength(2);
    expect(status.shards.every((s) => s.sockets >= 1)).toBe(true);
    first.close();
    second.close();
  });

  it("reconciles the room with Postgres on schedule and reports no drift when none", async () => {
    const region = member("LATAM");
    await deliver([saleEvent({ region })]);
    const report = await withDb(env, (db) => reconcileLiveRoom(env, db, true));
    const sliceDrift = report.examples.filter((d) => d.member === region);
    expect(sliceDrift).toEqual([]);
    expect((await liveRoom(env).status()).last_reconcile?.checked).toBeGreaterThan(0);
  });
});
