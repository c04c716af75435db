/**
 * The consumer feeds the dashboards' room: one RPC per batch with the absolute values of the minute
 * and day buckets the batch touched, equal to an independent computation, and a redelivered batch
 * changes nothing a dashboard sees.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { deleteEvent, saleEvent } from "../../test/support/events.ts";
import { TEST_VIEWER_TOKEN } from "../../test/support/tokens.ts";
import { withDb } from "../db/client.ts";
import worker from "../index.ts";
import { eventChecksum } from "../ingest/checksum.ts";
import type { CdcMessage } from "../pipeline/message.ts";
import { createSource, eventually, postSigned, query } from "../test-support.ts";
import { minuteOf } from "./buckets.ts";
import { COALESCE_MS } from "./fan-out.ts";
import type { DaySeries } from "./protocol.ts";
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

  it("ends exact for a dashboard subscribed during a burst over many days", async () => {
    const region = member("NA");
    const client = await connect(liveRoom(env));
    await client.subscribe({ filter: { region }, minutes: 0, days: 30 });
    // 30 days of sales by 12 customers (so distinct counts differ from orders), then updates and
    // deletes of some, in twelve requests posted at once.
    const customers = Array.from({ length: 12 }, (_, i) => `${region}-c${i}`);
    const t0 = Date.now() - 60_000;
    const sales = Array.from({ length: 360 }, (_, i) =>
      saleEvent({
        region,
        customerId: customers[(i * 7) % customers.length],
        saleTimestamp: new Date(t0 - (i % 30) * 86_400_000 - (i % 5) * 60_000).toISOString(),
        eventTimestamp: new Date(t0 - 10_000).toISOString(),
        quantity: 1 + (i % 4),
        unitPrice: 5 + (i % 9),
      }),
    );
    const changes = sales.flatMap((e, i) =>
      i % 9 === 0
        ? [deleteEvent(e.payload.sale_id, new Date(t0).toISOString())]
        : i % 7 === 0
          ? [
              saleEvent({
                ...e.payload,
                saleId: e.payload.sale_id,
                customerId: customers[0],
                region,
                eventType: "UPDATE",
                saleTimestamp: e.payload.sale_timestamp,
                eventTimestamp: new Date(t0).toISOString(),
                unitPrice: 50,
              }),
            ]
          : [],
    );
    const burst = [...sales, ...changes];
    const source = await createSource("live-burst");
    await Promise.all(
      Array.from({ length: 12 }, async (_, k) => {
        const part = burst.filter((_, i) => i % 12 === k);
        expect((await postSigned(source, JSON.stringify(part))).status).toBe(202);
      }),
    );
    // What silver says, per day (the independent computation).
    const wanted = async () =>
      query<{ day: string; orders: number; unique_customers: number; median: number }>(
        `SELECT sale_date::text AS day, count(*)::int AS orders, count(DISTINCT customer_id)::int AS unique_customers,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY quantity * unit_price)::float8 AS median
           FROM silver_sales_clean WHERE region = $1 AND NOT is_deleted GROUP BY 1 ORDER BY 1`,
        [region],
      );
    // The dashboard's state: its snapshot, then every delta's absolute day values.
    const seen = () => {
      const days = new Map<string, { orders: number; unique_customers: number; median: number | null }>();
      for (const frame of client.frames) {
        if (frame.type !== "snapshot" && frame.type !== "delta") continue;
        const d: DaySeries = frame.days;
        d.day.forEach((day, i) => {
          days.set(day, {
            orders: d.orders[i]!,
            unique_customers: d.unique_customers[i]!,
            median: d.median_order_value[i] ?? null,
          });
        });
      }
      return [...days]
        .filter(([, v]) => v.orders > 0)
        .map(([day, v]) => ({ day, ...v }))
        .sort((a, b) => a.day.localeCompare(b.day));
    };
    const expected = await eventually(
      wanted,
      (rows) => rows.reduce((n, r) => n + r.orders, 0) === 360 - 40,
      30_000,
    );
    expect(expected.length).toBe(30);
    const state = await eventually(
      async () => seen(),
      (rows) => JSON.stringify(rows) === JSON.stringify(expected),
      30_000,
    );
    expect(state).toEqual(expected);
    client.close();
  }, 60_000);

  it("reconciles the room with Postgres on schedule and reports no drift when none", async () => {
    const region = member("LATAM");
    await deliver([saleEvent({ region })]);
    const report = await withDb(env, (db) => reconcileLiveRoom(env, db, true));
    const sliceDrift = report.examples.filter((d) => d.member === region);
    expect(sliceDrift).toEqual([]);
    expect((await liveRoom(env).status()).last_reconcile?.checked).toBeGreaterThan(0);
  });
});
