/**
 * The transactions a batch is processed in: one for a small batch, stages of parallel parts for a
 * large one; the receipts and webhook rejections ride with the first.
 */
import { type Db, transaction, withDb } from "../db/client.ts";
import { type Item, type ProcessOptions, type ProcessOutcome, processItems } from "./process.ts";
import { insertQuarantine, insertReceipts, type QuarantineRow } from "./store/bronze.ts";
import { readTouchedBuckets } from "./store/live.ts";
import { lockBucket } from "./store/silver-sales.ts";
import type { Receipt } from "./unpack.ts";

export function emptyOutcome(): ProcessOutcome {
  return {
    events: 0,
    processed: 0,
    duplicates: 0,
    quarantined: 0,
    unmapped: 0,
    touchedDays: [],
    touchedLive: { days: [], minutes: [] },
    live: [],
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

export async function insertExtras(tx: Db, extras: Extras, part: Item[]): Promise<number> {
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
    const run = async (conn: Db, part: Item[], withExtras: boolean): Promise<ProcessOutcome> => {
      const { outcome, live } = await transaction(conn, async (tx) => {
        const quarantined = await insertExtras(
          tx,
          withExtras ? extras : { receipts: [], rejected: [], ownReceipts: extras.ownReceipts },
          part,
        );
        const outcome = await processItems(tx, part, options);
        // Read in the COMMIT's message (not awaited here: it arrives with the COMMIT).
        const live = options.readLive ? readTouchedBuckets(tx, outcome.touchedLive) : undefined;
        return { outcome: { ...outcome, quarantined: outcome.quarantined + quarantined }, live };
      });
      return { ...outcome, live: live ? [await live] : [] };
    };
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
/** Concurrent transactions for a large batch's sales (more were no faster: README, "Figures behind the code"). */
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

export function mergeOutcomes(results: ProcessOutcome[]): ProcessOutcome {
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
    live: results.flatMap((r) => r.live),
  };
}
