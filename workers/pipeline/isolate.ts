/**
 * Poison isolation: when the database refuses an event's data, the batch is split until the
 * refused event is alone and quarantined, and the rest lands.
 */
import { type Db, transaction } from "../db/client.ts";
import type { Item, ProcessOptions, ProcessOutcome } from "./process.ts";
import { insertQuarantine } from "./store/bronze.ts";
import {
  type Extras,
  emptyOutcome,
  insertExtras,
  mergeOutcomes,
  processInTransactions,
} from "./transactions.ts";

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
