/**
 * The `cdc-events` queue consumer: one transaction per batch (see `process.ts`), then — outside it —
 * one RPC to the live room with the absolute values of the day and minute buckets that changed
 * (the room then has the touched slices' non-additive measures recomputed).
 *
 * Redelivery is harmless: bronze ignores events it already holds, so a repeated batch changes
 * nothing, and the room receives absolute values, never increments.
 */
import { type Db, transaction, withDb } from "../db/client.ts";
import { parseEvent } from "../ingest/events.ts";
import { assertTimeZone, dayIn } from "../kpi/calendar.ts";
import { DAY_RETENTION, daysBefore, type LiveBuckets, MINUTE_WINDOW, minuteOf } from "../live/buckets.ts";
import { liveRoom } from "../live/room-stub.ts";
import { cdcMessage } from "./message.ts";
import { type Item, type ProcessOptions, type ProcessOutcome, processItems } from "./process.ts";
import { insertDeadLetters, insertQuarantine, type QuarantineRow } from "./store/bronze.ts";
import { type LiveTouch, readLiveWindow, readTouchedBuckets } from "./store/live.ts";
import { lockBucket } from "./store/sales.ts";

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

/** Turns queue messages into items and the quarantine rows of events rejected at the webhook. */
export function readMessages(messages: readonly { id: string; body: unknown }[]) {
  const items: Item[] = [];
  const rejected: QuarantineRow[] = [];
  for (const message of messages) {
    const parsed = cdcMessage.safeParse(message.body);
    if (!parsed.success) {
      rejected.push({
        source: "unknown",
        sourceTable: null,
        entity: null,
        rule: "unreadable_message",
        reason: `unreadable queue message ${message.id}: ${parsed.error.issues[0]?.message ?? "invalid"}`,
        raw: message.body,
        checksum: null,
        receivedAt: new Date().toISOString(),
      });
      continue;
    }
    const body = parsed.data;
    for (const { raw, rule, reasons } of body.rejected) {
      rejected.push({
        source: body.source,
        sourceTable: null,
        entity: null,
        rule,
        reason: reasons.join("; "),
        raw,
        checksum: null,
        receivedAt: body.received_at,
      });
    }
    for (const { checksum, raw } of body.events) {
      const event = parseEvent(raw);
      if (!event.ok) {
        rejected.push({
          source: body.source,
          sourceTable: null,
          entity: null,
          rule: event.rule,
          reason: event.reasons.join("; "),
          raw,
          checksum,
          receivedAt: body.received_at,
        });
        continue;
      }
      items.push({ source: body.source, receivedAt: body.received_at, raw, checksum, change: event.change });
    }
  }
  return { items, rejected };
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
  const options = pipelineOptions(env);
  const { items, rejected } = readMessages(messages);
  return withDb(env, async (db) => {
    const result = await processInTransactions(env, db, items, options, rejected);
    await refreshLive(env, db, result.touchedLive, { backlog });
    return result;
  });
}

/**
 * Processes items in the transactions `planTransactions` lays out (the first part of each stage on
 * `db`, the others on connections of their own); `rejected` is quarantined with them.
 */
export async function processInTransactions(
  env: Env,
  db: Db,
  items: Item[],
  options: ProcessOptions,
  rejected: QuarantineRow[] = [],
): Promise<ProcessOutcome> {
  // Rows quarantined at the webhook carry no checksum to deduplicate them by, so a batch with any
  // stays one transaction: a redelivery after a partial commit would record them twice.
  const stages = rejected.length > 0 ? [[items]] : planTransactions(items);
  const results: ProcessOutcome[] = [];
  for (const stage of stages) {
    const run = (conn: Db, part: Item[]) =>
      transaction(conn, async (tx) => {
        await insertQuarantine(tx, rejected); // none, unless the batch is one transaction
        return processItems(tx, part, options);
      });
    const [first = [], ...others] = stage;
    results.push(
      ...(await Promise.all([
        run(db, first),
        ...others.map((part) => withDb(env, (other) => run(other, part))),
      ])),
    );
  }
  return mergeOutcomes(results);
}

/** Below this many events a batch is one transaction. */
const SPLIT_THRESHOLD = 2_000;
/** Concurrent transactions for a large batch's sales (more measured no faster on 2 cores). */
const SALE_PARTS = 2;

/**
 * The transactions a batch is processed in: stages one after another, the parts of a stage at once
 * (on connections of their own). A small batch, or one carrying Debezium events, is one
 * transaction. A large batch of native events is its dimension events (which must land before the
 * sales that refer to them) and then its sales in two parts, split by the sales' lock buckets so
 * the two never wait on each other's keys: one's statements run in Postgres while the Worker
 * prepares the other's, and they take turns only for the rows every batch shares (slices, facts,
 * counters; see `lockSlices`). Exactly-once is unchanged: if any part fails, the whole batch is
 * redelivered and bronze turns what the others committed into duplicates.
 */
export function planTransactions(items: Item[], parts = SALE_PARTS): Item[][][] {
  if (items.length < SPLIT_THRESHOLD) return [[items]];
  const dimensions: Item[] = [];
  const sales: Item[][] = Array.from({ length: parts }, () => []);
  for (const item of items) {
    if (item.change.format !== "native") return [[items]];
    const event = item.change.event;
    if (event.entity !== "sale") dimensions.push(item);
    else sales[lockBucket(event.key) % parts]!.push(item);
  }
  return [dimensions.length > 0 ? [dimensions] : [], sales.filter((part) => part.length > 0)].filter(
    (stage) => stage.length > 0,
  );
}

function mergeOutcomes(results: ProcessOutcome[]): ProcessOutcome {
  const sum = (f: (r: ProcessOutcome) => number) => results.reduce((n, r) => n + f(r), 0);
  const union = (f: (r: ProcessOutcome) => string[]) => [...new Set(results.flatMap(f))].sort();
  return {
    events: sum((r) => r.events),
    processed: sum((r) => r.processed),
    duplicates: sum((r) => r.duplicates),
    quarantined: sum((r) => r.quarantined),
    unmapped: sum((r) => r.unmapped),
    touchedDays: union((r) => r.touchedDays),
    touchedLive: { days: union((r) => r.touchedLive.days), minutes: union((r) => r.touchedLive.minutes) },
  };
}

/**
 * After a commit, one RPC to the room with the absolute values of every bucket the batch touched:
 * the additive measures (revenue, orders, units, costs) are final at commit, and dashboards are
 * waiting for them. The same call asks the room to recompute the touched slices' non-additive
 * measures (unique and new customers, median and p90 order value) from silver, which it does from
 * an alarm while the consumer goes on. Failures here lose nothing (the data is committed, the
 * slices stay marked dirty, the scheduled job reconciles the room), so they must not make the queue
 * redeliver the batch.
 */
export async function refreshLive(
  env: Env,
  db: Db,
  touched: LiveTouch,
  { recompute = true, backlog = 0 }: { recompute?: boolean; backlog?: number } = {},
): Promise<void> {
  if (touched.days.length === 0 && touched.minutes.length === 0) return;
  await sendToRoom(env, () => readTouchedBuckets(db, touched), {
    recompute: recompute && touched.days.length > 0,
    backlog,
  });
}

/**
 * After a bulk load: send the room its whole window (420 days, 48 hours) from Postgres, and have it
 * drain whatever slices are still dirty.
 */
export async function refreshLiveWindow(env: Env, db: Db): Promise<void> {
  const today = dayIn(Date.now(), env.REPORTING_TZ);
  await sendToRoom(
    env,
    () => readLiveWindow(db, daysBefore(today, DAY_RETENTION), minuteOf(Date.now()) - MINUTE_WINDOW * 60),
    { recompute: true },
  );
}

async function sendToRoom(
  env: Env,
  read: () => Promise<LiveBuckets>,
  options: { recompute?: boolean; backlog?: number } = {},
): Promise<void> {
  let buckets: LiveBuckets;
  try {
    buckets = await read();
  } catch (error) {
    console.error(JSON.stringify({ msg: "live bucket read failed", error: String(error) }));
    return;
  }
  await liveRoom(env)
    .apply(buckets, options)
    .catch((error: unknown) =>
      console.error(JSON.stringify({ msg: "live room update failed", error: String(error) })),
    );
}

/** The dead-letter queue's consumer: messages that failed every retry are recorded, not lost. */
export async function recordDeadLetters(env: Env, batch: MessageBatch<unknown>): Promise<void> {
  await withDb(env, (db) =>
    transaction(db, (tx) =>
      insertDeadLetters(
        tx,
        batch.messages.map((m) => {
          const parsed = cdcMessage.safeParse(m.body);
          return {
            queue: batch.queue,
            messageId: m.id,
            source: parsed.success ? parsed.data.source : null,
            attempts: m.attempts,
            body: m.body,
          };
        }),
      ),
    ),
  );
}
