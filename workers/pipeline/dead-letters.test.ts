/**
 * Messages that fail every retry: retried with a growing delay, then dead-lettered with their error,
 * recorded in `dead_letters` by the dead-letter queue's consumer, listed, and replayed once the
 * cause is fixed — with the ledger accounting for them all along.
 */

import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { saleEvent } from "../../test/support/events.ts";
import { settledLedger } from "../../test/support/ledger.ts";
import worker from "../index.ts";
import {
  admin,
  cdcMessageOf,
  createSource,
  eventually,
  query,
  unreachableDatabaseEnv,
} from "../test-support.ts";
import { CDC_MAX_RETRIES, retryDelaySeconds } from "./consumer.ts";
import type { CdcMessage } from "./message.ts";

const health = () => admin("/api/v1/pipeline/health");
const downEnv = unreachableDatabaseEnv;
const message = cdcMessageOf;

async function deliver(queueEnv: Env, body: CdcMessage, id: string, attempts: number) {
  const batch = createMessageBatch<unknown>("cdc-events", [{ id, timestamp: new Date(), attempts, body }]);
  const ctx = createExecutionContext();
  await worker.queue(batch, queueEnv, ctx);
  return getQueueResult(batch, ctx);
}

describe("dead letters", () => {
  it("backs off between retries: doubling from the base delay up to the cap", () => {
    const delays = Array.from({ length: 8 }, (_, i) =>
      retryDelaySeconds({ ...env, CDC_RETRY_BASE_SECONDS: "2", CDC_RETRY_MAX_SECONDS: "60" }, i + 1),
    );
    expect(delays).toEqual([2, 4, 8, 16, 32, 60, 60, 60]);
  });

  it("retries while the database is down, dead-letters with the error, and replays into place", async () => {
    const source = await createSource("dlq");
    const sales = [saleEvent(), saleEvent()];
    const body = message(source.name, sales);
    const id = `dlq-${body.id}`;

    const early = await deliver(downEnv, body, id, 1);
    // (The test harness reports which messages are retried, not their delay.)
    expect(early.retryMessages).toMatchObject([{ msgId: id }]);

    // The last attempt: to the dead-letter queue with its error, whose consumer records it.
    const last = await deliver(downEnv, body, id, CDC_MAX_RETRIES + 1);
    expect(last.retryMessages).toEqual([]);
    expect(last.explicitAcks).toEqual([id]);
    const recorded = await eventually(
      () =>
        query<{ error: string | null; events: number; attempts: number }>(
          "SELECT error, events, attempts FROM dead_letters WHERE message_id = $1",
          [id],
        ),
      (r) => r.length > 0,
    );
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ events: 2, attempts: CDC_MAX_RETRIES + 1 });
    expect(recorded[0]!.error).toBeTruthy();

    const ledger = await settledLedger(health, source.name, 2);
    expect(ledger).toMatchObject({ accepted: 2, processed: 0, dead_lettered: 2, in_flight: 0 });

    const listed = await admin(`/api/v1/pipeline/dead-letters?source=${source.name}`);
    expect(listed.status).toBe(200);
    const list = (await listed.json()) as {
      dead_letters: { message_id: string; error: string; events: number }[];
    };
    expect(list.dead_letters).toMatchObject([{ message_id: id, events: 2 }]);
    expect((await admin("/api/v1/pipeline/dead-letters?limit=0")).status).toBe(400);

    const replay = await admin(`/api/v1/pipeline/dead-letters/replay?source=${source.name}`, {
      method: "POST",
    });
    expect(replay.status).toBe(200);
    expect(await replay.json()).toMatchObject({ replayed: 1, failed: 0, processed: 2, next_cursor: null });
    const saleIds = sales.map((s) => s.payload.sale_id).sort();
    expect(
      (
        await query<{ sale_id: string }>(
          "SELECT sale_id FROM silver_sales_clean WHERE sale_id = ANY($1::text[]) ORDER BY sale_id",
          [saleIds],
        )
      ).map((r) => r.sale_id),
    ).toEqual(saleIds);
    expect(await settledLedger(health, source.name, 2)).toMatchObject({
      accepted: 2,
      processed: 2,
      dead_lettered: 0,
      in_flight: 0,
    });

    // Nothing left to replay; the row stays, marked.
    const again = await admin(`/api/v1/pipeline/dead-letters/replay?source=${source.name}`, {
      method: "POST",
    });
    expect(await again.json()).toMatchObject({ replayed: 0 });
    const rows = await query<{ replayed: boolean }>(
      "SELECT replayed_at IS NOT NULL AS replayed FROM dead_letters WHERE message_id = $1",
      [id],
    );
    expect(rows).toEqual([{ replayed: true }]);
  });

  it("replays page by page from a cursor, never marking a row it did not process", async () => {
    const source = await createSource("dlqpage");
    const bodies = Array.from({ length: 3 }, () => message(source.name, [saleEvent()]));
    const dlq = createMessageBatch<unknown>(
      "cdc-events-dlq",
      bodies.map((body) => ({ id: `dlqp-${body.id}`, timestamp: new Date(), attempts: 11, body })),
    );
    const ctx = createExecutionContext();
    await worker.queue(dlq, env, ctx);
    await getQueueResult(dlq, ctx);

    const first = await admin(`/api/v1/pipeline/dead-letters/replay?source=${source.name}&limit=2`, {
      method: "POST",
    });
    const page = (await first.json()) as { replayed: number; next_cursor: number | null };
    expect(page.replayed).toBe(2);
    expect(page.next_cursor).not.toBeNull();
    const waiting = await query<{ n: number }>(
      "SELECT count(*)::int AS n FROM dead_letters WHERE source = $1 AND replayed_at IS NULL",
      [source.name],
    );
    expect(waiting).toEqual([{ n: 1 }]);
    const rest = await admin(
      `/api/v1/pipeline/dead-letters/replay?source=${source.name}&limit=2&after=${page.next_cursor}`,
      { method: "POST" },
    );
    expect(await rest.json()).toMatchObject({ replayed: 1, next_cursor: null });
    expect(await settledLedger(health, source.name, 3)).toMatchObject({
      accepted: 3,
      processed: 3,
      dead_lettered: 0,
      in_flight: 0,
    });
  });
});
