/**
 * Soak: the demo's mix of events (customers, products, sales, corrections) posted at a steady rate
 * through the webhook while dashboards stay open, then the ledger once the queue has drained —
 * accepted against landed, which must be equal (zero loss).
 *
 * `npm run bench -- soak` runs 60 s; `npm run bench -- soak --minutes=5` five minutes.
 * BENCH_SOAK_RATE (1,000 events/s), BENCH_SOAK_DASHBOARDS (200), BENCH_SOAK_BATCH (50 events a
 * request).
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ORDERS_PER_DAY } from "../scripts/demo/rhythm.ts";
import { DemoStream } from "../scripts/demo/stream.ts";
import { type Ledger, readLedger } from "../test/support/ledger.ts";
import { signedHeaders } from "../workers/ingest/signature.ts";
import { runtimeUrl } from "./lib/cpu.ts";
import { liveSocketUrl } from "./lib/live-client.ts";
import { type Row, report, summarize } from "./lib/report.ts";
import { type BenchStack, startBenchStack } from "./lib/stack.ts";

const RATE = Number(process.env.BENCH_SOAK_RATE ?? 1_000);
const DASHBOARDS = Number(process.env.BENCH_SOAK_DASHBOARDS ?? 200);
const BATCH = Number(process.env.BENCH_SOAK_BATCH ?? 50);
const DRAIN_TIMEOUT_MS = 15 * 60_000;

function durationSeconds(args: string[]): number {
  for (const arg of args) {
    const minutes = /^--minutes=(\d+(?:\.\d+)?)$/.exec(arg);
    if (minutes) return Number(minutes[1]) * 60;
    const seconds = /^--seconds=(\d+)$/.exec(arg);
    if (seconds) return Number(seconds[1]);
  }
  return Number(process.env.BENCH_SOAK_SECONDS ?? 60);
}

const progress = (message: string) => console.error(`[soak] ${message}`);
const round = (v: number) => Math.round(v * 10) / 10;

const ledger = (stack: BenchStack): Promise<Ledger> =>
  readLedger(
    () =>
      fetch(`${stack.baseUrl}/api/v1/pipeline/health`, {
        headers: { authorization: `Bearer ${stack.viewerToken}` },
      }),
    stack.source.name,
  );

/** The dashboards, in a child process of their own (so they do not share the poster's event loop). */
function openDashboards(url: string, count: number) {
  const child = fork(fileURLToPath(new URL("./lib/fanout-clients.ts", import.meta.url)), [], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const reply = <T>(type: string) =>
    new Promise<T>((resolve) => {
      const on = (message: { type: string }) => {
        if (message.type !== type) return;
        child.off("message", on);
        resolve(message as T);
      };
      child.on("message", on);
    });
  const ready = reply<{ connected: number; failed: number; ms: number }>("ready");
  child.send({ type: "connect", url, count });
  return {
    ready,
    async report() {
      const reported = reply<{ updates: { received: number }[] }>("report");
      child.send({ type: "report" });
      return (await reported).updates;
    },
    async close() {
      child.send({ type: "close" });
      await new Promise((resolve) => child.once("exit", resolve));
    },
  };
}

export async function benchSoak(args: string[] = []): Promise<void> {
  const seconds = durationSeconds(args);
  const total = Math.round(RATE * seconds);
  progress(`${RATE} events/s for ${seconds} s (${total} events), ${DASHBOARDS} dashboards`);
  // Today's business at the soak's pace (the stream's sales, new customers and corrections; the
  // catalog first, without its tens of thousands of existing customers, which arrive as inferred
  // members when they buy), so the dashboards, subscribed to today, move with it.
  const today = new Date();
  const midnight = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  const stream = new DemoStream({ seed: 11, epoch: midnight, speed: (2 * total) / ORDERS_PER_DAY });
  const lines: string[] = [];
  for (const event of stream.catalogEvents()) {
    if (event.entity !== "customer") lines.push(JSON.stringify(event));
  }
  for (const event of stream.until(midnight + 86_400_000)) {
    lines.push(JSON.stringify(event));
    if (lines.length >= total) break;
  }

  const stack = await startBenchStack();
  progress(`database: ${stack.databaseKind}`);
  const base = (await runtimeUrl(stack.workerGroup)) ?? stack.baseUrl;
  const dashboards = openDashboards(liveSocketUrl(base, stack.viewerToken), DASHBOARDS);
  try {
    const opened = await dashboards.ready;
    progress(`${opened.connected} dashboards subscribed (${opened.failed} failed)`);

    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    let accepted = 0;
    let rejected = 0;
    let failures = 0;
    const failureKinds = new Map<string, number>();
    const pending = new Set<Promise<void>>();
    const started = performance.now();
    const requests = Math.ceil(lines.length / BATCH);
    const interval = (BATCH / RATE) * 1000;
    let behindMax = 0;
    for (let i = 0; i < requests; i++) {
      const due = started + i * interval;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      else behindMax = Math.max(behindMax, -wait);
      const body = lines.slice(i * BATCH, (i + 1) * BATCH).join("\n");
      const sent = performance.now();
      const request = fetch(`${base}/api/v1/cdc/${stack.source.name}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...signedHeaders(stack.source.secret, body) },
        body,
        signal: AbortSignal.timeout(60_000),
      })
        .then(async (response) => {
          latencies.push(performance.now() - sent);
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          const answer = (await response.json()) as { accepted?: number; rejected?: number };
          if (response.status === 202) {
            accepted += answer.accepted ?? 0;
            rejected += answer.rejected ?? 0;
          }
        })
        .catch((error: unknown) => {
          // No answer read (a timeout, a reset): the event may still have been accepted, which the
          // ledger then shows above the 202s counted here.
          failures++;
          const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
          failureKinds.set(cause, (failureKinds.get(cause) ?? 0) + 1);
        })
        .finally(() => pending.delete(request));
      pending.add(request);
      if (i % Math.round(10_000 / interval) === 0 && i > 0) {
        progress(`${Math.round((performance.now() - started) / 1000)} s: ${i * BATCH} events posted`);
      }
    }
    await Promise.all(pending);
    const postedMs = performance.now() - started;
    progress(`posted in ${round(postedMs / 1000)} s; waiting for the queue to drain`);

    const kept = accepted + rejected;
    const drainStart = performance.now();
    let last = await ledger(stack);
    while (!(last.accepted === kept && last.in_flight === 0)) {
      if (performance.now() - drainStart > DRAIN_TIMEOUT_MS) break;
      await new Promise((r) => setTimeout(r, 500));
      last = await ledger(stack);
    }
    const drainMs = performance.now() - drainStart;
    const updates = await dashboards.report();
    const l = last;
    const landed = l.processed + l.duplicates + l.quarantined + l.unmapped;
    const rows: Row[] = [
      { metric: "events offered", value: lines.length, unit: "events", note: `${RATE}/s for ${seconds} s` },
      {
        metric: "events accepted (202)",
        value: kept,
        unit: "events",
        note: `${rejected} of them rejected and kept`,
      },
      { metric: "events in the ledger", value: l.accepted, unit: "events" },
      {
        metric: "events landed",
        value: landed,
        unit: "events",
        target: "= accepted",
        note: `processed ${l.processed}, duplicates ${l.duplicates}, quarantined ${l.quarantined}, unmapped ${l.unmapped}`,
      },
      { metric: "events lost", value: kept - landed - l.dead_lettered, unit: "events", target: "0" },
      { metric: "dead-lettered", value: l.dead_lettered, unit: "events" },
      { metric: "in flight at the end", value: l.in_flight, unit: "events", target: "0" },
      { metric: "achieved post rate", value: round(lines.length / (postedMs / 1000)), unit: "events/s" },
      { metric: "drain after the last post", value: round(drainMs / 1000), unit: "s" },
      {
        metric: "requests not 202",
        value: requests - (statuses.get(202) ?? 0),
        unit: "requests",
        note:
          JSON.stringify(Object.fromEntries(statuses)) +
          (failures ? `, ${failures} unanswered ${JSON.stringify(Object.fromEntries(failureKinds))}` : ""),
      },
      { metric: "poster behind schedule (max)", value: round(behindMax), unit: "ms" },
      {
        metric: "dashboards subscribed",
        value: opened.connected,
        unit: "sockets",
        note: `${opened.failed} failed`,
      },
      { metric: "live updates broadcast", value: updates.length, unit: "updates" },
      {
        metric: "live updates reaching every dashboard",
        value: updates.filter((u) => u.received >= opened.connected).length,
        unit: "updates",
      },
      ...summarize("webhook latency", latencies, "ms"),
    ];
    report("soak", rows, {
      databaseKind: stack.databaseKind,
      seconds,
      rate: RATE,
      dashboards: DASHBOARDS,
      batch: BATCH,
    });
  } finally {
    await dashboards.close().catch(() => undefined);
    await stack.close();
  }
}
