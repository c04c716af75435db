import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { customerEvent, deleteEvent, saleEvent } from "../../test/support/events.ts";
import worker from "../index.ts";
import { eventChecksum } from "../ingest/checksum.ts";
import { parseEvent } from "../ingest/events.ts";
import { query, unusedPastDay } from "../test-support.ts";
import type { CdcMessage } from "./message.ts";
import { lockBucket } from "./store/silver-sales.ts";
import { planTransactions } from "./transactions.ts";

type Raw = ReturnType<typeof saleEvent> | ReturnType<typeof deleteEvent>;

async function message(source: string, events: Raw[]): Promise<CdcMessage> {
  return {
    v: 1,
    source,
    received_at: new Date().toISOString(),
    events: events.map((raw) => ({ checksum: eventChecksum(source, raw), raw })),
    rejected: [],
  };
}

let messageCounter = 0;
async function deliver(bodies: CdcMessage[], attempts = 1) {
  const batch = createMessageBatch<CdcMessage>(
    "cdc-events",
    bodies.map((body) => ({ id: `m-${++messageCounter}`, timestamp: new Date(), attempts, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<unknown>, env, ctx);
  return getQueueResult(batch, ctx);
}

/** Rollup rows for `days`, as the API would read them. */
async function rollup(days: string[]) {
  return query<{ day: string; revenue: string; net_revenue: string; orders: number; quantity: number }>(
    `SELECT day::text, revenue::text, net_revenue::text, orders, quantity::int FROM kpi_day_slice
      WHERE dim = 'all' AND day = ANY($1::date[]) AND orders <> 0 ORDER BY day`,
    [days],
  );
}

/**
 * The expected rollup, computed independently of the pipeline: for each sale take the event with
 * the latest source time (ties: the later one in `arrival`), drop deletes, group by UTC day.
 */
function expected(arrival: Raw[]) {
  const latest = new Map<string, Raw>();
  for (const e of arrival) {
    const current = latest.get(e.payload.sale_id);
    if (!current || Date.parse(e.event_timestamp) >= Date.parse(current.event_timestamp))
      latest.set(e.payload.sale_id, e);
  }
  const days = new Map<string, { revenue: number; net: number; orders: number; quantity: number }>();
  for (const e of latest.values()) {
    if (e.event_type === "DELETE" || !("quantity" in e.payload)) continue;
    const p = e.payload;
    const day = p.sale_timestamp.slice(0, 10);
    const d = days.get(day) ?? { revenue: 0, net: 0, orders: 0, quantity: 0 };
    d.revenue += Math.round(p.quantity * p.unit_price * 100);
    d.net += Math.round(p.quantity * p.unit_price * 100) - Math.round(p.discount * 100);
    d.orders += 1;
    d.quantity += p.quantity;
    days.set(day, d);
  }
  return [...days.entries()]
    .filter(([, d]) => d.orders !== 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([day, d]) => ({
      day,
      revenue: (d.revenue / 100).toFixed(2),
      net_revenue: (d.net / 100).toFixed(2),
      orders: d.orders,
      quantity: d.quantity,
    }));
}

function shuffle<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** A history of inserts, updates (some moving sales between two days) and deletes. */
function history(days: [string, string], sales = 40): Raw[] {
  const events: Raw[] = [];
  for (let i = 0; i < sales; i++) {
    const saleId = crypto.randomUUID();
    const base = Date.UTC(2030, 0, 1) + i * 60_000;
    const at = (n: number) => new Date(base + n * 1000).toISOString();
    const dayOf = () => days[Math.floor(Math.random() * 2)]!;
    const versions = 1 + Math.floor(Math.random() * 4);
    for (let v = 0; v < versions; v++) {
      events.push(
        saleEvent({
          saleId,
          eventType: v === 0 ? "INSERT" : "UPDATE",
          eventTimestamp: at(v),
          saleTimestamp: `${dayOf()}T${String(10 + v).padStart(2, "0")}:00:00Z`,
          quantity: 1 + Math.floor(Math.random() * 5),
          unitPrice: Math.round(Math.random() * 10_000) / 100,
          discount: Math.random() < 0.3 ? 1.25 : 0,
        }),
      );
    }
    if (Math.random() < 0.25)
      events.push(deleteEvent(saleId, at(versions + Math.floor(Math.random() * 2) - 1)));
  }
  return events;
}

describe("cdc-events consumer", () => {
  it("has an exactly-once effect: a batch three times, redelivered and shuffled, equals a recomputation", async () => {
    const days: [string, string] = [await unusedPastDay(), await unusedPastDay()];
    const events = history(days);
    const bodies = [
      await message("consumer-test", events.slice(0, 60)),
      await message("consumer-test", events.slice(60)),
    ];

    for (let round = 0; round < 3; round++) {
      const result = await deliver(bodies, round + 1);
      expect(result.retryMessages).toEqual([]);
      expect(result.retryBatch.retry).toBe(false);
    }
    const want = expected(events);
    expect(await rollup(days)).toEqual(want);

    // The same events again, in another order, split differently: nothing changes.
    const reordered = shuffle(events);
    await deliver([
      await message("consumer-test", reordered.slice(0, 17)),
      await message("consumer-test", reordered.slice(17)),
    ]);
    expect(await rollup(days)).toEqual(want);
  });

  it("resolves updates and deletes by source time, whatever order they arrive in", async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const days: [string, string] = [await unusedPastDay(), await unusedPastDay()];
      const events = history(days, 25);
      const arrival = shuffle(events);
      // Deliver one event per batch so every ordering decision crosses a transaction boundary.
      for (let i = 0; i < arrival.length; i += 7) {
        await deliver([await message("consumer-test", arrival.slice(i, i + 7))]);
      }
      // Source time decides; only a tie (a delete stamped like the last update) falls back to arrival.
      expect(await rollup(days)).toEqual(expected(arrival));

      const silver = await query<{ live: number }>(
        "SELECT count(*)::int AS live FROM silver_sales_clean WHERE NOT is_deleted AND sale_date = ANY($1::date[])",
        [days],
      );
      expect(silver[0]?.live).toBe(expected(arrival).reduce((n, d) => n + d.orders, 0));
    }
  });

  it("takes a full batch of thousands of new sales in one transaction", async () => {
    // The size a busy queue delivers: 100 messages of ~170 events, every sale and customer new.
    // (A lock per new key once filled the server's lock table here, and the batch failed forever.)
    const day = await unusedPastDay();
    const bodies = await Promise.all(
      Array.from({ length: 100 }, () =>
        message(
          "consumer-test",
          Array.from({ length: 170 }, (_, i) =>
            saleEvent({ saleTimestamp: `${day}T10:00:${String(i % 60).padStart(2, "0")}Z`, unitPrice: 2 }),
          ),
        ),
      ),
    );
    const result = await deliver(bodies);
    expect(result.retryBatch.retry).toBe(false);
    expect(await rollup([day])).toEqual([
      { day, revenue: "34000.00", net_revenue: "34000.00", orders: 17_000, quantity: 17_000 },
    ]);
  }, 120_000);

  it("splits a large batch of native events into dimensions first, then two halves of sales by lock bucket", () => {
    const item = (raw: Raw | ReturnType<typeof customerEvent>) => {
      const parsed = parseEvent(raw);
      if (!parsed.ok) throw new Error(parsed.reasons.join("; "));
      return { source: "s", receivedAt: new Date().toISOString(), raw, checksum: "", change: parsed.change };
    };
    const sales = Array.from({ length: 3_000 }, () => item(saleEvent()));
    const customers = Array.from({ length: 10 }, (_, i) =>
      item(customerEvent(`c-${i}`, "SMB", new Date().toISOString())),
    );
    expect(planTransactions(sales.slice(0, 100))).toEqual([[sales.slice(0, 100)]]);

    const [dimensions, halves, ...rest] = planTransactions([...customers, ...sales]);
    expect(rest).toEqual([]);
    expect(dimensions).toEqual([customers]);
    expect(halves).toHaveLength(2);
    const [even = [], odd = []] = halves!;
    expect(even.length + odd.length).toBe(3_000);
    expect(Math.min(even.length, odd.length)).toBeGreaterThan(1_000);
    // No lock bucket on both sides: the two transactions never wait on each other's keys.
    const buckets = (part: typeof even) =>
      new Set(part.map((i) => lockBucket((i.change as { event: { key: string } }).event.key)));
    const shared = [...buckets(even)].filter((b) => buckets(odd).has(b));
    expect(shared).toEqual([]);
  });

  it("quarantines what it cannot read instead of dropping it", async () => {
    const marker = crypto.randomUUID();
    await deliver([{ v: 1, source: "consumer-test", nonsense: marker } as unknown as CdcMessage]);
    const rows = await query<{ reason: string }>(
      "SELECT reason FROM quarantine WHERE raw_event ->> 'nonsense' = $1",
      [marker],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.reason).toMatch(/unreadable queue message/);
  });

  it("records dead-lettered messages in Postgres", async () => {
    const marker = crypto.randomUUID();
    const batch = createMessageBatch("cdc-events-dlq", [
      { id: `dlq-${marker}`, timestamp: new Date(), attempts: 6, body: { marker } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    await getQueueResult(batch, ctx);
    const rows = await query<{ attempts: number }>(
      "SELECT attempts FROM dead_letters WHERE message_id = $1",
      [`dlq-${marker}`],
    );
    expect(rows).toEqual([{ attempts: 6 }]);
  });
});
