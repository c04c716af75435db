/**
 * The `cdc-events` queue consumer: one transaction per batch (see `process.ts`), then — outside it —
 * one RPC to the live room with the absolute values of the day and minute buckets that changed,
 * read in the COMMIT's message (the room then has the touched slices' non-additive measures
 * recomputed).
 *
 * Redelivery is harmless: bronze ignores events it already holds, so a repeated batch changes
 * nothing, and the room receives absolute values, never increments.
 *
 * The steps live beside it: `unpack.ts` (messages → items), `isolate.ts` and `transactions.ts`
 * (how the items are committed), `refresh-live.ts` (the room), `dead-letters.ts` (the DLQ's consumer).
 */
import { withDb } from "../db/client.ts";
import { Statements } from "../db/statements.ts";
import { assertTimeZone } from "../kpi/calendar.ts";
import { processIsolated } from "./isolate.ts";
import type { ProcessOutcome } from "./process.ts";
import { sendCommitted } from "./refresh-live.ts";
import { revokedKeys } from "./revocations.ts";
import { insertReceipts } from "./store/bronze.ts";
import { readMessages } from "./unpack.ts";

export interface PipelineEnv {
  REPORTING_TZ: string;
  REPORTING_CURRENCY?: string;
}

export function pipelineOptions(env: PipelineEnv) {
  return {
    timeZone: assertTimeZone(env.REPORTING_TZ),
    reportingCurrency: env.REPORTING_CURRENCY || "USD",
    batchId: crypto.randomUUID(),
  };
}

/**
 * `backlog`: messages still waiting behind this batch (the queue's own metric). Every batch asks the
 * room to recompute the non-additive measures; while the consumer is catching up the room defers
 * that run (it would compete with the next batches for the same slices), and the batch that finds
 * the queue empty has it start at once. The room then drains every dirty slice, newest days first.
 * Additive values reach the room after every batch.
 */
export async function processCdcBatch(
  env: Env,
  messages: readonly { id: string; body: unknown }[],
  backlog = 0,
): Promise<ProcessOutcome> {
  const options = { ...pipelineOptions(env), readLive: true };
  return withDb(env, async (db) => {
    let unpacked = readMessages(messages);
    // The receipts (a no-op for those the webhook wrote), on their own before the batch: a receipt
    // says a delivery was accepted, which it was. Inside the batch's transaction it would hold the
    // webhook's own insert of it — and, through that insert's other rows, the next batch — until
    // the commit. Keyed by delivery, like what the webhook rejected (which rides with the first
    // transaction that commits): a redelivery records nothing twice. In one message with the read
    // of revoked secrets (together they commit at once, before the batch's transaction begins).
    const first = new Statements(db);
    await insertReceipts(first, unpacked.receipts);
    const revoked = await revokedKeys(first, messages);
    await first.flush();
    // Receipts do not depend on revocations; the events of a revoked secret's messages do.
    if (revoked.size > 0) unpacked = readMessages(messages, revoked);
    const { items, rejected } = unpacked;
    const result = await processIsolated(env, db, items, options, { receipts: [], rejected });
    await sendCommitted(env, result.live, result.touchedLive, { backlog });
    return result;
  });
}

/** `max_retries` of the `cdc-events` consumer in wrangler.toml (every environment). */
export const CDC_MAX_RETRIES = 10;

/**
 * The delay before a message's next attempt: doubling from `CDC_RETRY_BASE_SECONDS` (2) up to
 * `CDC_RETRY_MAX_SECONDS` (60). With ten retries a message outlasts about six minutes of database
 * outage before it is dead-lettered (and can be replayed from `dead_letters`).
 */
export function retryDelaySeconds(env: Env, attempts: number): number {
  const base = Number(env.CDC_RETRY_BASE_SECONDS ?? "2") || 2;
  const max = Number(env.CDC_RETRY_MAX_SECONDS ?? "60") || 60;
  return Math.min(max, Math.ceil(base * 2 ** Math.max(0, attempts - 1)));
}

/**
 * The `cdc-events` queue handler. A failure that is not the data's (which `processIsolated`
 * quarantines) — the database unreachable, a timeout — retries every message of the batch after
 * the backoff delay (harmless: processing is idempotent); a message on its last attempt goes to the
 * dead-letter queue with the error, to be recorded in `dead_letters`.
 */
export async function handleCdcBatch(env: Env, batch: MessageBatch<unknown>): Promise<void> {
  try {
    await processCdcBatch(env, batch.messages, batch.metadata?.metrics?.backlogCount ?? 0);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(
      JSON.stringify({ msg: "cdc batch failed", messages: batch.messages.length, error: message }),
    );
    for (const m of batch.messages) {
      if (m.attempts > CDC_MAX_RETRIES) {
        await env.CDC_DLQ.send({
          dead_letter: { queue: batch.queue, message_id: m.id, attempts: m.attempts, error: message },
          body: m.body,
        });
        m.ack();
      } else {
        m.retry({ delaySeconds: retryDelaySeconds(env, m.attempts) });
      }
    }
  }
}
