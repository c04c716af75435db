/**
 * Postgres stopped for 30 s in the middle of a steady stream of sales, then started again, on the
 * real local stack (`wrangler dev`, its queue and Durable Object, the Postgres server): every sale
 * answered 202 lands exactly once, and the ledger balances.
 *
 * Only against a Postgres server (`TEST_DATABASE_URL`): PGlite runs a single backend that every
 * connection shares, so cutting a connection in the middle of a transaction would break the others
 * — a failure of the test bed, not of the pipeline.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type CutProxy, startCutProxy } from "../support/cut-proxy.ts";
import { saleEvent } from "../support/events.ts";
import { settledLedger } from "../support/ledger.ts";
import { type Stack, startStack } from "../support/stack.ts";

const onServer = inject("databaseKind") === "server";
const STREAM_MS = 44_000;
const CUT_AT_MS = 7_000;
const OUTAGE_MS = 30_000;
const EVERY_MS = 100;

let proxy: CutProxy | undefined;
let stack: Stack | undefined;

beforeAll(async () => {
  if (!onServer) return;
  proxy = await startCutProxy(inject("databaseUrl"));
  // Retries 1 s apart at first, at most 4 s apart: ten of them outlast the 30 s outage.
  stack = await startStack({
    workerDatabaseUrl: proxy.url,
    vars: { CDC_RETRY_BASE_SECONDS: "1", CDC_RETRY_MAX_SECONDS: "4" },
    echoErrors: false,
  });
});
afterAll(async () => {
  await stack?.close();
  await proxy?.close();
});

describe.skipIf(!onServer)("Postgres stopped for 30 s mid-stream (Postgres server only)", () => {
  it("lands every accepted sale exactly once, and the ledger balances", async () => {
    const s = stack!;
    const accepted: string[] = [];
    const refused: number[] = [];
    const started = Date.now();
    const timers = [
      setTimeout(() => proxy!.cut(), CUT_AT_MS),
      setTimeout(() => proxy!.restore(), CUT_AT_MS + OUTAGE_MS),
    ];
    const pending: Promise<void>[] = [];
    for (let i = 0; Date.now() - started < STREAM_MS; i++) {
      const event = saleEvent({ quantity: 1, unitPrice: 1 });
      pending.push(
        s.post(JSON.stringify(event)).then(async (response) => {
          await response.body?.cancel();
          if (response.status === 202) accepted.push(event.payload.sale_id);
          else refused.push(response.status);
        }),
      );
      await new Promise((r) => setTimeout(r, Math.max(0, started + (i + 1) * EVERY_MS - Date.now())));
    }
    await Promise.all(pending);
    for (const t of timers) clearTimeout(t);
    proxy!.restore();

    // Not accepted is allowed (the sender is told to send again); a 500 is not.
    expect(refused.filter((status) => status !== 503)).toEqual([]);
    expect(accepted.length).toBeGreaterThan(STREAM_MS / EVERY_MS / 2);

    const health = () =>
      fetch(new URL("/api/v1/pipeline/health", s.url), {
        headers: { authorization: `Bearer ${s.viewerToken}` },
      });
    const ledger = await settledLedger(health, s.source.name, accepted.length, 40_000);
    expect(ledger).toEqual({
      accepted: accepted.length,
      processed: accepted.length,
      duplicates: 0,
      quarantined: 0,
      unmapped: 0,
      dead_lettered: 0,
      in_flight: 0,
    });
    const copies = await s.query<{ sale_id: string; n: number }>(
      `SELECT raw_payload -> 'payload' ->> 'sale_id' AS sale_id, count(*)::int AS n FROM bronze_sales_events
        WHERE source_system = $1 GROUP BY 1`,
      [s.source.name],
    );
    expect(copies.filter((c) => c.n !== 1)).toEqual([]);
    expect(copies.map((c) => c.sale_id).sort()).toEqual([...accepted].sort());
    const silver = await s.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM silver_sales_clean WHERE sale_id = ANY($1::text[])",
      [accepted],
    );
    expect(silver).toEqual([{ n: accepted.length }]);
  }, 150_000);
});
