/**
 * The recomputation of distinct counts and percentiles beside the batches: it never waits for a
 * batch in flight, never clears the mark of a slice a batch is changing (the slice stays pending,
 * never a stale exact figure), and takes only the marks set before it began.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { saleEvent } from "../../test/support/events.ts";
import { transaction, withDb } from "../db/client.ts";
import { eventChecksum } from "../ingest/checksum.ts";
import { parseEvent } from "../ingest/events.ts";
import { query, unusedPastDay } from "../test-support.ts";
import { pipelineOptions } from "./consumer.ts";
import type { Item } from "./process.ts";
import { recomputeSlices } from "./store/rollups.ts";
import { processInTransactions } from "./transactions.ts";

/** A Postgres server, not PGlite (which serves every connection from one backend). */
const onServer = async () => !(await query<{ v: string }>("SELECT version() AS v"))[0]!.v.includes("PGlite");

/** Three customers' sales in one region on one day, committed as a batch would (no live room). */
async function salesOn(day: string) {
  const region = `R-${crypto.randomUUID().slice(0, 8)}`;
  const items: Item[] = ["a", "b", "c", "a"].map((customer, i) => {
    const raw = saleEvent({
      region,
      customerId: `${region}-${customer}`,
      saleTimestamp: `${day}T1${i}:00:00Z`,
      quantity: 1,
      unitPrice: 10 + i,
    });
    const parsed = parseEvent(raw);
    if (!parsed.ok) throw new Error("test event refused");
    return {
      source: "recompute-test",
      receivedAt: new Date().toISOString(),
      raw,
      checksum: eventChecksum("recompute-test", raw),
      change: parsed.change,
      delivery: null,
    };
  });
  await withDb(env, (db) => processInTransactions(env, db, items, pipelineOptions(env)));
  return region;
}

const dirty = async (dim: string, member: string, day: string) =>
  (await query("SELECT 1 FROM kpi_dirty WHERE dim = $1 AND member = $2 AND day = $3", [dim, member, day]))
    .length > 0;

const uniqueCustomers = async (dim: string, member: string, day: string) =>
  (
    await query<{ n: number }>(
      "SELECT unique_customers AS n FROM kpi_day_slice WHERE dim = $1 AND member = $2 AND day = $3",
      [dim, member, day],
    )
  )[0]?.n;

const recompute = (before?: string) =>
  withDb(env, (db) => transaction(db, (tx) => recomputeSlices(tx, 100_000, before)));

describe("recomputation beside the batches", () => {
  it("takes only the marks set before it began (or before the time it is given)", async () => {
    const day = await unusedPastDay();
    const region = await salesOn(day);
    expect(await dirty("region", region, day)).toBe(true);

    const earlier = new Date(Date.now() - 3_600_000).toISOString();
    await recompute(earlier);
    expect(await dirty("region", region, day)).toBe(true);

    const run = await recompute();
    expect(run.changed).toContain(`region|${region}|${day}`);
    expect(await dirty("region", region, day)).toBe(false);
    expect(await uniqueCustomers("region", region, day)).toBe(3);
  });

  // PGlite serves every connection from one backend: a transaction held open on one connection
  // blocks the others whatever the SQL, so a batch in flight cannot be staged beside it there.
  it("never waits for a batch in flight, and leaves the slice that batch holds pending (Postgres server)", async (context) => {
    if (!(await onServer())) context.skip();
    const day = await unusedPastDay();
    const region = await salesOn(day);
    await withDb(env, async (batch) => {
      // A batch in the middle of its transaction: it has written the region's slice and set its
      // mark again, and not committed yet.
      await batch.query("BEGIN");
      await batch.query(
        "UPDATE kpi_day_slice SET orders = orders + 1, updated_at = clock_timestamp() WHERE dim = 'region' AND member = $1 AND day = $2",
        [region, day],
      );
      await batch.query(
        `INSERT INTO kpi_dirty (dim, member, day) VALUES ('region', $1, $2)
           ON CONFLICT (dim, member, day) DO UPDATE SET marked_at = clock_timestamp()`,
        [region, day],
      );
      let outcome: Awaited<ReturnType<typeof recompute>> | "waited";
      try {
        outcome = await Promise.race([
          recompute(),
          new Promise<"waited">((resolve) => setTimeout(() => resolve("waited"), 5_000)),
        ]);
      } finally {
        await batch.query("ROLLBACK");
      }
      expect(outcome).not.toBe("waited");
      if (outcome === "waited") return;
      // The slice the batch held: neither written nor cleared. The day's other slices: exact.
      expect(outcome.changed).not.toContain(`region|${region}|${day}`);
      expect(outcome.changed).toContain(`all||${day}`);
    });
    expect(await dirty("region", region, day)).toBe(true);
    expect(await dirty("all", "", day)).toBe(false);
    expect(await uniqueCustomers("all", "", day)).toBe(3);

    await recompute();
    expect(await dirty("region", region, day)).toBe(false);
    expect(await uniqueCustomers("region", region, day)).toBe(3);
  });
});
