/**
 * The `cdc-events` queue consumer: one transaction per batch (see `process.ts`), then — outside it —
 * one RPC to the live room with the absolute values of the day and minute buckets that changed
 * (the room then has the touched slices' non-additive measures recomputed).
 *
 * Redelivery is harmless: bronze ignores events it already holds, so a repeated batch changes
 * nothing, and the room receives absolute values, never increments.
 */
import { z } from "zod";
import { type Db, transaction, withDb } from "../db/client.ts";
import { parseEvent } from "../ingest/events.ts";
import { assertTimeZone, dayIn } from "../kpi/calendar.ts";
import { DAY_RETENTION, daysBefore, type LiveBuckets, MINUTE_WINDOW, minuteOf } from "../live/buckets.ts";
import { liveRoom } from "../live/room-stub.ts";
import { cdcMessage } from "./message.ts";
import { type Item, type ProcessOptions, type ProcessOutcome, processItems } from "./process.ts";
import { REVOKED_SECRET, revocationOf, revokedKeys } from "./revocations.ts";
import { insertDeadLetters, insertQuarantine, insertReceipts, type QuarantineRow } from "./store/bronze.ts";
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

/** The events a message carries (accepted and rejected at the webhook): its share of the ledger. */
export function eventsIn(body: unknown): number {
  const parsed = cdcMessage.safeParse(body);
  return parsed.success ? parsed.data.events.length + parsed.data.rejected.length : 1;
}

/**
 * Turns queue messages into items, the quarantine rows of events rejected at the webhook (or
 * signed with a secret revoked before they arrived: `revoked`, see revocations.ts), and the
 * receipts of their deliveries.
 */
export function readMessages(
  messages: readonly { id: string; body: unknown }[],
  revoked: ReadonlyMap<string, number> = new Map(),
) {
  const items: Item[] = [];
  const rejected: QuarantineRow[] = [];
  const receipts: Receipt[] = [];
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
        delivery: `${message.id}`.slice(0, 160),
      });
      continue;
    }
    const body = parsed.data;
    const delivery = body.id ?? message.id;
    receipts.push({
      delivery,
      source: body.source,
      events: body.events.length + body.rejected.length,
      receivedAt: body.received_at,
    });
    const revocation = revocationOf(body, revoked);
    if (revocation) {
      const all = [
        ...body.events.map((e) => ({ raw: e.raw, checksum: e.checksum as string | null })),
        ...body.rejected.map((r) => ({ raw: r.raw, checksum: null })),
      ];
      for (const [index, { raw, checksum }] of all.entries()) {
        rejected.push({
          source: body.source,
          sourceTable: null,
          entity: null,
          rule: REVOKED_SECRET,
          reason: revocation,
          raw,
          checksum,
          receivedAt: body.received_at,
          delivery: `${delivery}/${checksum ?? index}`,
        });
      }
      continue;
    }
    for (const [index, { raw, rule, reasons }] of body.rejected.entries()) {
      rejected.push({
        source: body.source,
        sourceTable: null,
        entity: null,
        rule,
        reason: reasons.join("; "),
        raw,
        checksum: null,
        receivedAt: body.received_at,
        delivery: `${delivery}/${index}`,
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
          delivery: `${delivery}/${checksum}`,
        });
        continue;
      }
      items.push({
        source: body.source,
        receivedAt: body.received_at,
        raw,
        checksum,
        change: event.change,
        delivery,
      });
    }
  }
  return { items, rejected, receipts };
}

export interface Receipt {
  delivery: string;
  source: string;
  events: number;
  receivedAt: string;
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
  return withDb(env, async (db) => {
    const { items, rejected, receipts } = readMessages(messages, await revokedKeys(db, messages));
    // The receipts (a no-op for those the webhook wrote) and what the webhook rejected ride with
    // the first transaction that commits: both are keyed by delivery, so a redelivery records
    // nothing twice.
    const result = await processIsolated(env, db, items, options, { receipts, rejected });
    await refreshLive(env, db, result.touchedLive, { backlog });
    return result;
  });
}

/**
 * Whether an error is about the data (a value the database refuses, a constraint, a limit), so
 * that the same events would fail again however often they were retried — as opposed to the
 * database being unreachable or busy, which a retry outlasts. SQLSTATE classes 22 (data
 * exception), 23 (integrity constraint), 54 (program limit); and errors of the Worker's own code
 * on an event it cannot handle.
 */
export function isPoison(error: unknown): boolean {
  if (error instanceof RangeError || error instanceof TypeError) return true;
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" && /^(22|23|54)/.test(code);
}

/** The rule of events the database refused. */
export const REFUSED_BY_DATABASE = "refused_by_database";

/**
 * Processes items as `processInTransactions` does; when the database refuses the data, the items
 * are split in halves and each half processed on its own, down to the single event, which is
 * quarantined with the database's error. The other events — of this request and of every other
 * message in the batch — land as if the refused one had never been sent.
 */
export async function processIsolated(
  env: Env,
  db: Db,
  items: Item[],
  options: ProcessOptions,
  extras: Extras = { receipts: [], rejected: [] },
): Promise<ProcessOutcome> {
  try {
    return await processInTransactions(env, db, items, options, extras);
  } catch (error) {
    if (!isPoison(error) || items.length === 0) throw error;
    if (items.length === 1) {
      const item = items[0]!;
      const reason = `the database refused the event: ${String((error as Error).message ?? error)}`;
      console.warn(JSON.stringify({ msg: "event refused by the database", source: item.source, reason }));
      const quarantined = await transaction(
        db,
        async (tx) =>
          (await insertExtras(tx, extras, [item])) +
          (await insertQuarantine(tx, [
            {
              source: item.source,
              sourceTable: item.change.table,
              entity: item.change.format === "native" ? item.change.table : null,
              rule: REFUSED_BY_DATABASE,
              reason,
              raw: item.raw,
              checksum: item.checksum,
              receivedAt: item.receivedAt,
              // A replay takes the event out of bronze once: nothing to deduplicate.
              delivery: item.delivery ? `${item.delivery}/${item.checksum}` : null,
            },
          ])),
      );
      return { ...emptyOutcome(), events: 1, quarantined };
    }
    const half = Math.ceil(items.length / 2);
    const first = await processIsolated(env, db, items.slice(0, half), options, extras);
    const second = await processIsolated(env, db, items.slice(half), options, {
      receipts: [],
      rejected: [],
      ownReceipts: extras.ownReceipts,
    });
    return mergeOutcomes([first, second]);
  }
}

function emptyOutcome(): ProcessOutcome {
  return {
    events: 0,
    processed: 0,
    duplicates: 0,
    quarantined: 0,
    unmapped: 0,
    touchedDays: [],
    touchedLive: { days: [], minutes: [] },
  };
}

/** Receipts and webhook rejections of a batch: written once, with its first transaction. */
export interface Extras {
  receipts: Receipt[];
  rejected: QuarantineRow[];
  /**
   * Every transaction writes the receipt of the events it commits, in the same commit: for a bulk
   * load, which has no queue message to deliver it again. A receipt written after the commit would
   * leave the events counted but not accepted — for ever, if that write failed — and the retried
   * load would count them twice.
   */
  ownReceipts?: boolean;
}

async function insertExtras(tx: Db, extras: Extras, part: Item[]): Promise<number> {
  await insertReceipts(tx, extras.ownReceipts ? [...extras.receipts, ...receiptsOf(part)] : extras.receipts);
  return insertQuarantine(tx, extras.rejected);
}

/** One receipt per source for the items of one transaction. */
function receiptsOf(items: Item[]): Receipt[] {
  const bySource = new Map<string, Receipt>();
  for (const item of items) {
    const receipt = bySource.get(item.source);
    if (receipt) receipt.events++;
    else
      bySource.set(item.source, {
        delivery: crypto.randomUUID(),
        source: item.source,
        events: 1,
        receivedAt: item.receivedAt,
      });
  }
  return [...bySource.values()];
}

/**
 * Processes items in the transactions `planTransactions` lays out (the first part of each stage on
 * `db`, the others on connections of their own); `extras` are written with the first.
 */
export async function processInTransactions(
  env: Env,
  db: Db,
  items: Item[],
  options: ProcessOptions,
  extras: Extras = { receipts: [], rejected: [] },
): Promise<ProcessOutcome> {
  const stages = planTransactions(items);
  const results: ProcessOutcome[] = [];
  let first = true;
  for (const stage of stages) {
    const run = (conn: Db, part: Item[], withExtras: boolean) =>
      transaction(conn, async (tx) => {
        const quarantined = await insertExtras(
          tx,
          withExtras ? extras : { receipts: [], rejected: [], ownReceipts: extras.ownReceipts },
          part,
        );
        const outcome = await processItems(tx, part, options);
        return { ...outcome, quarantined: outcome.quarantined + quarantined };
      });
    const [head = [], ...others] = stage;
    results.push(
      ...(await Promise.all([
        run(db, head, first),
        ...others.map((part) => withDb(env, (other) => run(other, part, false))),
      ])),
    );
    first = false;
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

/** How a message that failed its last attempt reaches the dead-letter queue with its error. */
export const deadLetterEnvelope = z.object({
  dead_letter: z.object({
    queue: z.string(),
    message_id: z.string(),
    attempts: z.number().int(),
    error: z.string(),
  }),
  body: z.unknown(),
});

/** The dead-letter queue's consumer: messages that failed every retry are recorded, not lost. */
export async function recordDeadLetters(env: Env, batch: MessageBatch<unknown>): Promise<void> {
  const rows = batch.messages.map((m) => {
    const wrapped = deadLetterEnvelope.safeParse(m.body);
    const body = wrapped.success ? wrapped.data.body : m.body;
    const parsed = cdcMessage.safeParse(body);
    return {
      queue: wrapped.success ? wrapped.data.dead_letter.queue : batch.queue.replace(/-dlq$/, ""),
      messageId: wrapped.success ? wrapped.data.dead_letter.message_id : m.id,
      source: parsed.success ? parsed.data.source : null,
      attempts: wrapped.success ? wrapped.data.dead_letter.attempts : m.attempts,
      body,
      error: wrapped.success ? wrapped.data.dead_letter.error : null,
      events: eventsIn(body),
    };
  });
  await withDb(env, (db) =>
    transaction(db, async (tx) => {
      // A message accepted while the database was down has its receipt written here at the latest.
      await insertReceipts(
        tx,
        rows.flatMap((r) => {
          const parsed = cdcMessage.safeParse(r.body);
          if (!parsed.success) return [];
          return [
            {
              delivery: parsed.data.id ?? r.messageId,
              source: parsed.data.source,
              events: r.events,
              receivedAt: parsed.data.received_at,
            },
          ];
        }),
      );
      await insertDeadLetters(tx, rows);
    }),
  );
}
