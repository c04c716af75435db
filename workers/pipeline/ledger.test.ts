/**
 * The ledger's holes: events counted where they landed must never also be counted as accepted
 * later, dead-lettered, or not at all — whatever fails between two writes. Each case ends with
 * `in_flight` at 0, never below (an event counted twice).
 */

import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { saleEvent } from "../../test/support/events.ts";
import { ledgerOf, readLedger, settledLedger } from "../../test/support/ledger.ts";
import { withDb } from "../db/client.ts";
import worker from "../index.ts";
import { signedHeaders } from "../ingest/signature.ts";
import {
  admin,
  cdcMessageOf,
  createSource,
  eventually,
  postSigned,
  query,
  unreachableDatabaseEnv,
} from "../test-support.ts";
import { CDC_MAX_RETRIES, pipelineOptions, processCdcBatch } from "./consumer.ts";
import { processIsolated } from "./isolate.ts";
import type { CdcMessage } from "./message.ts";
import { compactReceipts } from "./store/health.ts";
import { readMessages } from "./unpack.ts";

const health = () => admin("/api/v1/pipeline/health");
const downEnv = unreachableDatabaseEnv;
const message = cdcMessageOf;

/** The message's last attempt, with the database down: it goes to the dead-letter queue. */
async function dieOnLastAttempt(body: CdcMessage, id: string) {
  const batch = createMessageBatch<unknown>("cdc-events", [
    { id, timestamp: new Date(), attempts: CDC_MAX_RETRIES + 1, body },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch, downEnv, ctx);
  expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual([id]);
  await eventually(
    () => query("SELECT 1 FROM dead_letters WHERE message_id = $1", [id]),
    (r) => r.length > 0,
  );
}

/** The message's first attempt commits its first event only (one part of a split batch), then fails. */
async function commitFirstEventOnly(body: CdcMessage, id: string) {
  const { items, receipts } = readMessages([{ id, body }]);
  await withDb(env, (db) =>
    processIsolated(env, db, items.slice(0, 1), pipelineOptions(env), { receipts, rejected: [] }),
  );
}

const replayDead = (source: string) =>
  admin(`/api/v1/pipeline/dead-letters/replay?source=${source}`, { method: "POST" });

const bulk = (source: { name: string; secret: string }, body: string) =>
  exports.default.fetch(`http://pulse.test/api/v1/cdc/${source.name}/bulk`, {
    method: "POST",
    headers: { "content-type": "application/json", ...signedHeaders(source.secret, body) },
    body,
  });

describe("the ledger", () => {
  it("counts a bulk load's events as accepted in the commit that stores them, even when the load fails", async () => {
    const source = await createSource("bulkledger");
    const body = JSON.stringify([saleEvent(), saleEvent(), saleEvent()]);
    // The receipts become unwritable for this source (as a failing connection would make them),
    // after the events' own writes: the load fails.
    const fn = `fail_receipt_${source.name.replace(/\W/g, "_")}`;
    await query(
      `CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'receipts unavailable'; END $$`,
    );
    await query(
      `CREATE TRIGGER ${fn} BEFORE INSERT ON ingest_receipts FOR EACH ROW
         WHEN (NEW.source = '${source.name}') EXECUTE FUNCTION ${fn}()`,
    );
    try {
      const failed = await bulk(source, body);
      expect(failed.status).toBe(500);
      await failed.body?.cancel();
      // Nothing is stored that is not accepted: the sender sends the load again.
      expect(await readLedger(health, source.name)).toEqual(ledgerOf({ accepted: 0 }));
    } finally {
      await query(`DROP TRIGGER ${fn} ON ingest_receipts`);
      await query(`DROP FUNCTION ${fn}()`);
    }
    const again = await bulk(source, body);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ accepted: 3, processed: 3, duplicates: 0 });
    expect(await readLedger(health, source.name)).toEqual(ledgerOf({ accepted: 3, processed: 3 }));
  });

  it("does not count a dead message's events its delivery already stored", async () => {
    const source = await createSource("deadstored");
    // Committed, then never acknowledged (the Worker stopped after the commit): redelivered to a
    // database that is down, until its last attempt.
    const whole = message(source.name, [saleEvent(), saleEvent()]);
    const wholeId = `whole-${whole.id}`;
    await processCdcBatch(env, [{ id: wholeId, body: whole }]);
    await dieOnLastAttempt(whole, wholeId);
    // Half committed: the first of its transactions (a batch split in parts) committed, then the
    // database went down.
    const half = message(source.name, [saleEvent(), saleEvent()]);
    const halfId = `half-${half.id}`;
    await commitFirstEventOnly(half, halfId);
    await dieOnLastAttempt(half, halfId);

    expect(await readLedger(health, source.name)).toEqual(
      ledgerOf({ accepted: 4, processed: 3, dead_lettered: 1 }),
    );

    // The replay stores the rest, once.
    const replay = await replayDead(source.name);
    expect(await replay.json()).toMatchObject({ replayed: 2, failed: 0, processed: 1, duplicates: 0 });
    expect(await readLedger(health, source.name)).toEqual(ledgerOf({ accepted: 4, processed: 4 }));
    const copies = await query<{ n: number }>(
      "SELECT count(*)::int AS n FROM bronze_sales_events WHERE source_system = $1",
      [source.name],
    );
    expect(copies).toEqual([{ n: 4 }]);
  });

  it("counts a redelivered message's duplicates once, however much of it the first attempt committed", async () => {
    const source = await createSource("dupagain");
    const first = saleEvent();
    const second = saleEvent();
    await processCdcBatch(env, [{ id: "dupagain-original", body: message(source.name, [first, second]) }]);
    // Both events sent again in one message with a new one: two real duplicates.
    const again = message(source.name, [first, second, saleEvent()]);
    const againId = `dupagain-${again.id}`;
    // Its first attempt commits one of its transactions (a batch split in parts; the refused event
    // of a poisoned batch is split off the same way), then fails: the message is redelivered.
    await commitFirstEventOnly(again, againId);
    const redelivered = await processCdcBatch(env, [{ id: againId, body: again }]);
    expect(redelivered).toMatchObject({ processed: 1, duplicates: 1 });
    // Committed whole, then never acknowledged: redelivered once more.
    const late = await processCdcBatch(env, [{ id: againId, body: again }]);
    expect(late).toMatchObject({ processed: 0, duplicates: 0 });

    expect(await readLedger(health, source.name)).toEqual(
      ledgerOf({ accepted: 5, processed: 3, duplicates: 2 }),
    );
  });

  it("counts each copy of an event a message carries twice once, however much of it the first attempt committed", async () => {
    const source = await createSource("dupcopies");
    const twice = saleEvent();
    // Not what the webhook sends (it keeps one copy per request), but a message is any body on the queue.
    const body = message(source.name, [twice, twice]);
    const id = `dupcopies-${body.id}`;
    // Its first attempt commits the first copy only, then fails: redelivered.
    await commitFirstEventOnly(body, id);
    expect(await processCdcBatch(env, [{ id, body }])).toMatchObject({ processed: 0, duplicates: 1 });
    // Committed whole, then never acknowledged: redelivered once more, then dead on its last attempt.
    expect(await processCdcBatch(env, [{ id, body }])).toMatchObject({ processed: 0, duplicates: 0 });
    await dieOnLastAttempt(body, id);
    expect(await readLedger(health, source.name)).toEqual(
      ledgerOf({ accepted: 2, processed: 1, duplicates: 1 }),
    );
  });

  it("counts an event two messages of one batch carry once when the batch is redelivered", async () => {
    const source = await createSource("dupbatch");
    const twice = saleEvent();
    // The source sent the same request twice; both messages share a batch, committed whole, then
    // never acknowledged.
    const batch = [message(source.name, [twice]), message(source.name, [twice, saleEvent()])].map((body) => ({
      id: `dupbatch-${body.id}`,
      body,
    }));
    expect(await processCdcBatch(env, batch)).toMatchObject({ processed: 2, duplicates: 1 });
    expect(await processCdcBatch(env, batch)).toMatchObject({ processed: 0, duplicates: 0 });
    expect(await processCdcBatch(env, batch.slice(1))).toMatchObject({ processed: 0, duplicates: 0 });
    expect(await readLedger(health, source.name)).toEqual(
      ledgerOf({ accepted: 3, processed: 2, duplicates: 1 }),
    );
  });

  it("does not count a dead message's duplicates as dead once its delivery counted them", async () => {
    const source = await createSource("deaddup");
    const first = saleEvent();
    await processCdcBatch(env, [{ id: "deaddup-original", body: message(source.name, [first]) }]);
    const again = message(source.name, [first, saleEvent()]);
    const againId = `deaddup-${again.id}`;
    await commitFirstEventOnly(again, againId);
    await dieOnLastAttempt(again, againId);
    expect(await readLedger(health, source.name)).toEqual(
      ledgerOf({ accepted: 3, processed: 1, duplicates: 1, dead_lettered: 1 }),
    );
    const replay = await replayDead(source.name);
    expect(await replay.json()).toMatchObject({ replayed: 1, failed: 0, processed: 1, duplicates: 0 });
    expect(await readLedger(health, source.name)).toEqual(
      ledgerOf({ accepted: 3, processed: 2, duplicates: 1 }),
    );
  });

  it("stays exact across the compaction of old receipts, and keeps those a replay still needs", async () => {
    const source = await createSource("compact");
    for (let i = 0; i < 3; i++) {
      const response = await postSigned(source, JSON.stringify([saleEvent(), saleEvent()]));
      expect(response.status).toBe(202);
    }
    const dead = message(source.name, [saleEvent()]);
    const deadId = `compact-${dead.id}`;
    await dieOnLastAttempt(dead, deadId);
    const before = await settledLedger(health, source.name, 7);
    expect(before).toEqual(ledgerOf({ accepted: 7, processed: 6, dead_lettered: 1 }));

    const compacted = await withDb(env, (db) =>
      compactReceipts(db, { before: new Date(Date.now() + 60_000), source: source.name }),
    );
    expect(compacted).toBe(3);
    expect(await readLedger(health, source.name)).toEqual(before);
    expect(await query("SELECT delivery FROM ingest_receipts WHERE source = $1", [source.name])).toEqual([
      { delivery: dead.id },
    ]);

    // Redelivered messages of compacted receipts are not this case: only a replay writes one
    // again, and its receipt stayed.
    const replay = await replayDead(source.name);
    expect(await replay.json()).toMatchObject({ replayed: 1, processed: 1 });
    const response = await postSigned(source, JSON.stringify([saleEvent()]));
    expect(response.status).toBe(202);
    expect(await settledLedger(health, source.name, 8)).toEqual(ledgerOf({ accepted: 8, processed: 8 }));
    expect(
      await withDb(env, (db) =>
        compactReceipts(db, { before: new Date(Date.now() + 60_000), source: source.name }),
      ),
    ).toBe(2);
    expect((await readLedger(health, source.name)).accepted).toBe(8);
  });
});
