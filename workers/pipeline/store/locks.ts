/**
 * The advisory locks of the pipeline: the two transaction-scoped ones of the KPI rollups (the
 * batches' turn at the rows they all share, and the recomputations' turn; a batch never waits for a
 * recomputation's lock, nor a recomputation for a batch's), and the session-scoped turn of bulk
 * requests.
 */
import type { Db } from "../../db/client.ts";
import { write } from "../../db/statements.ts";

/**
 * Batches take this transaction lock before the rows every batch shares (customers' first days,
 * slices, combinations, facts, counters), so concurrent batches — the parts of a large one — take
 * turns there and never wait on each other in opposite orders. The recomputation never takes it:
 * it reads silver without locks and never waits for a row a batch holds (`recomputeSlices`).
 */
export async function lockSlices(tx: Db): Promise<void> {
  await write(tx, "SELECT pg_advisory_xact_lock(hashtext('kpi_day_slice'))");
}

/**
 * Recomputations take turns (the live room's and the scheduled job's): each then starts from what
 * the one before it wrote, so a value never goes back to an older reading of silver. Batches never
 * take it.
 */
export async function lockRecomputation(tx: Db): Promise<void> {
  await write(tx, "SELECT pg_advisory_xact_lock(hashtext('kpi_recompute'))");
}

/**
 * Runs one bulk request's work (all its transactions) in the bulk requests' turn, a session lock
 * on the request's connection `db`: the loads that arrive together take turns, one request after
 * another. A load's new customers come just before their first sales, often in the next request,
 * so two requests at once are a dimension transaction creating a customer while the other
 * request's sales create the same customer as an inferred member: each waits for the other's entry
 * in `uq_dim_customer_current` (a deadlock) or one fails on it (a duplicate key), and poison
 * isolation then splits both requests down to single events. In turn, the next request's parsing
 * and validation still overlap the running one's transactions, and its sales find the customers
 * committed. The lock goes with the session: released here, or when the connection ends (a failed
 * or abandoned request), so a bulk request needs a session of its own, not a transaction pooler.
 */
export async function inBulkTurn<T>(db: Db, work: () => Promise<T>): Promise<T> {
  await db.query("SELECT pg_advisory_lock(hashtext('bulk_turn'))");
  try {
    return await work();
  } finally {
    await db.query("SELECT pg_advisory_unlock(hashtext('bulk_turn'))").catch(() => undefined);
  }
}
