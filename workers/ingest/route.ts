/**
 * `POST /api/v1/cdc/:source` — the webhook. It verifies the signature, splits and validates the
 * body, and acknowledges only what is durable: valid events (with their checksum) and rejected ones
 * (with their reasons, to be quarantined) are on the queue before it answers 202.
 *
 * `POST /api/v1/cdc/:source/bulk` — history: the same signature and validation, processed directly
 * in large transactions (no queue); `…/bulk/finish` then has the live room drain the slices it left
 * dirty.
 */
import { Hono } from "hono";
import { transaction, withDb } from "../db/client.ts";
import { requireRole } from "../http/auth.ts";
import { pipelineOptions } from "../pipeline/consumer.ts";
import { processIsolated } from "../pipeline/isolate.ts";
import { groupForSend, packMessages } from "../pipeline/message.ts";
import { refreshLiveWindow } from "../pipeline/refresh-live.ts";
import { insertQuarantine, insertReceipts } from "../pipeline/store/bronze.ts";
import { inBulkTurn } from "../pipeline/store/locks.ts";
import { MAX_EVENTS_PER_REQUEST } from "./events.ts";
import { assertSomethingValid, readSignedEvents } from "./signed-body.ts";

export const MAX_BODY_BYTES = 2 * 1024 * 1024;
export const BULK_MAX_BYTES = 16 * 1024 * 1024;
export const BULK_MAX_EVENTS = 50_000;
/**
 * Events per transaction set of a bulk load (a dimension transaction, then the sales in two parts):
 * large enough to amortise each turn's fixed costs (the stages' commits, locks and lookups), small
 * enough to keep locks short. 10,000 loaded ~10 % faster than 5,000 (alternated bench runs, medians
 * 10.9k against 9.9k events/s); 20,000 was no faster (fewer requests to overlap).
 */
const BULK_CHUNK = 10_000;

export const ingest = new Hono<{ Bindings: Env }>();

ingest.post("/api/v1/cdc/:source", async (c) => {
  const events = await readSignedEvents(c, { maxBytes: MAX_BODY_BYTES, maxEvents: MAX_EVENTS_PER_REQUEST });
  const receivedAt = new Date().toISOString();
  const messages = packMessages(
    events.source,
    receivedAt,
    events.accepted.map(({ checksum, raw }) => ({ checksum, raw })),
    events.rejected,
    events.key,
  );
  for (const group of groupForSend(messages)) {
    await c.env.CDC_QUEUE.sendBatch(group.map((m) => ({ body: m.body, contentType: "json" as const })));
  }
  // The messages are the record; the receipts make them visible in the ledger while in flight.
  c.executionCtx.waitUntil(
    recordReceipts(
      c.env,
      messages.map((m) => ({
        delivery: m.body.id!,
        source: events.source,
        events: m.body.events.length + m.body.rejected.length,
        receivedAt,
      })),
    ),
  );
  assertSomethingValid(events);
  return c.json(
    {
      accepted: events.accepted.length,
      repeated_in_request: events.repeated,
      rejected: events.rejected.length,
      errors: events.errors,
    },
    202,
  );
});

const RECEIPT_TIMEOUT_MS = 2_000;
/**
 * Receipts of the requests answered within `RECEIPT_FLUSH_MS` (wrangler.toml, 250) go to the
 * database together: each flush opens a connection on the isolate that also answers the requests.
 * The ledger shows a delivery as accepted that much later at most (the consumer writes the same
 * receipts when it takes the messages).
 */
function flushWindowMs(env: Env): number {
  const ms = Number(env.RECEIPT_FLUSH_MS ?? "250");
  return Number.isFinite(ms) && ms >= 0 ? ms : 250;
}

type Receipts = Parameters<typeof insertReceipts>[1];
let waiting: Receipts = [];
let flushing: Promise<void> | undefined;

/**
 * Counts what was just queued in the ledger, beside the answer: the receipts of the requests an
 * isolate answers within a few milliseconds share one connection and one insert. The queue message
 * is the record: when the database cannot take the receipts, the consumer writes them when the
 * messages land (each carries its delivery id), so the answer is 202 either way.
 *
 * The request that opens a window does the flush and keeps its context alive for it; the requests
 * that join it only leave their receipts. They must not wait for the flush too: it is the first
 * request's I/O, and the runtime drops what other requests queue on a context when it ends.
 */
function recordReceipts(env: Env, receipts: Receipts): Promise<void> {
  waiting.push(...receipts);
  if (flushing) return Promise.resolve();
  flushing = (async () => {
    await scheduler.wait(flushWindowMs(env));
    const batch = waiting;
    waiting = [];
    flushing = undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        withDb(env, (db) => insertReceipts(db, batch)),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error("receipt timed out")), RECEIPT_TIMEOUT_MS);
        }),
      ]);
    } catch (error) {
      console.warn(JSON.stringify({ msg: "receipts deferred to the consumer", error: String(error) }));
    } finally {
      clearTimeout(timer);
    }
  })();
  return flushing;
}

ingest.post("/api/v1/cdc/:source/bulk", async (c) => {
  const events = await readSignedEvents(
    c,
    { maxBytes: BULK_MAX_BYTES, maxEvents: BULK_MAX_EVENTS },
    { fresh: true },
  );
  const receivedAt = new Date().toISOString();
  const options = pipelineOptions(c.env);
  const totals = { processed: 0, duplicates: 0, quarantined: 0, unmapped: 0 };
  // Bulk requests take turns (see `inBulkTurn`): the next one's body is read and validated above
  // while this one's transactions run.
  await withDb(c.env, (db) =>
    inBulkTurn(db, async () => {
      await transaction(db, async (tx) => {
        await insertQuarantine(
          tx,
          events.rejected.map((r) => ({
            source: events.source,
            sourceTable: null,
            entity: null,
            rule: r.rule,
            reason: r.reasons.join("; "),
            raw: r.raw,
            checksum: null,
            receivedAt,
          })),
        );
        if (events.rejected.length > 0) {
          await insertReceipts(tx, [
            {
              delivery: crypto.randomUUID(),
              source: events.source,
              events: events.rejected.length,
              receivedAt,
            },
          ]);
        }
      });
      for (let i = 0; i < events.accepted.length; i += BULK_CHUNK) {
        const delivery = crypto.randomUUID();
        const chunk = events.accepted
          .slice(i, i + BULK_CHUNK)
          .map((e) => ({ ...e, source: events.source, receivedAt, delivery }));
        // Each transaction writes its events' receipt in its own commit: the ledger never counts
        // stored events that were not accepted, even when the load fails half way.
        const outcome = await processIsolated(c.env, db, chunk, options, {
          receipts: [],
          rejected: [],
          ownReceipts: true,
        });
        totals.processed += outcome.processed;
        totals.duplicates += outcome.duplicates;
        totals.quarantined += outcome.quarantined;
        totals.unmapped += outcome.unmapped;
      }
    }),
  );
  assertSomethingValid(events);
  return c.json(
    {
      accepted: events.accepted.length,
      repeated_in_request: events.repeated,
      rejected: events.rejected.length,
      ...totals,
      errors: events.errors.slice(0, 100),
    },
    200,
  );
});

/**
 * `POST /api/v1/cdc/:source/bulk/finish` (admin) — after a bulk load: brings the live room up to
 * date and asks it to drain the slices the load left dirty (unique customers, percentiles), then
 * answers at once. The data is committed when the last `/bulk` request answered; until the room has
 * drained, the reports serve those values as pending (null plus `freshness.pending`), never as 0.
 * The answer says how many slices are still dirty; `GET /api/v1/pipeline/health` (`dirty_slices`)
 * follows the drain to 0.
 */
ingest.post("/api/v1/cdc/:source/bulk/finish", requireRole("admin"), async (c) => {
  // A large load changes the tables' statistics; plan the drain and the live path on the new ones.
  // ANALYZE runs on a connection of its own, beside the drain, which does not wait for it.
  c.executionCtx.waitUntil(
    withDb(c.env, (db) =>
      db.query(
        "ANALYZE silver_sales_clean, fact_sales_summary, kpi_day_slice, dim_customer, customer_first_sale",
      ),
    ).catch((error: unknown) =>
      console.warn(JSON.stringify({ msg: "analyze after a bulk load failed", error: String(error) })),
    ),
  );
  const dirty = await withDb(c.env, async (db) => {
    // The room's window, and the request that starts its drain (re-armed until no slice is dirty).
    await refreshLiveWindow(c.env, db);
    return (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM kpi_dirty")).rows[0]?.n ?? 0;
  });
  return c.json({ committed: true, dirty_slices: dirty, exact: dirty === 0 });
});
