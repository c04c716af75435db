/**
 * The two transaction-scoped advisory locks of the KPI rollups: the batches' turn at the rows they
 * all share, and the recomputations' turn. A batch never waits for a recomputation's lock, nor a
 * recomputation for a batch's.
 */
import type { Db } from "../../db/client.ts";

/**
 * Batches take this transaction lock before the rows every batch shares (customers' first days,
 * slices, combinations, facts, counters), so concurrent batches — the parts of a large one — take
 * turns there and never wait on each other in opposite orders. The recomputation never takes it:
 * it reads silver without locks and never waits for a row a batch holds (`recomputeSlices`).
 */
export async function lockSlices(tx: Db): Promise<void> {
  await tx.query("SELECT pg_advisory_xact_lock(hashtext('kpi_day_slice'))");
}

/**
 * Recomputations take turns (the live room's and the scheduled job's): each then starts from what
 * the one before it wrote, so a value never goes back to an older reading of silver. Batches never
 * take it.
 */
export async function lockRecomputation(tx: Db): Promise<void> {
  await tx.query("SELECT pg_advisory_xact_lock(hashtext('kpi_recompute'))");
}
