/**
 * Freshness of the live tiles: time from posting a signed webhook to the WebSocket frame that
 * carries the new totals, over N sequential events (whole local stack: webhook → queue → consumer
 * → Postgres → Durable Object → WebSocket client in this separate process).
 */
import { saleEvent } from "../test/support/events.ts";
import { liveSocketUrl, openLiveClient } from "./lib/live-client.ts";
import { report, summarize } from "./lib/report.ts";
import { startBenchStack } from "./lib/stack.ts";

export async function benchLatency(events = Number(process.env.BENCH_EVENTS ?? 100)): Promise<void> {
  const stack = await startBenchStack();
  try {
    let latestOrders = -1;
    const waiters: { orders: number; resolve: (at: number) => void }[] = [];
    const client = openLiveClient(liveSocketUrl(stack.baseUrl, stack.viewerToken), (message, at) => {
      if (message.type !== "snapshot" && message.type !== "delta") return;
      latestOrders = message.tiles.orders;
      for (const w of waiters.filter((w) => latestOrders >= w.orders)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(at);
      }
    });
    await client.ready;

    const endToEnd: number[] = [];
    const accepted: number[] = [];
    // A few warm-up events first (workerd compiles lazily).
    for (let i = -5; i < events; i++) {
      const target = latestOrders + 1;
      const frame = new Promise<number>((resolve) => waiters.push({ orders: target, resolve }));
      const body = JSON.stringify(saleEvent({ quantity: 1, unitPrice: 10 }));
      const t0 = performance.now();
      const response = await stack.post(body);
      const t1 = performance.now();
      if (response.status !== 202)
        throw new Error(`webhook answered ${response.status}: ${await response.text()}`);
      const t2 = await frame;
      if (i >= 0) {
        accepted.push(t1 - t0);
        endToEnd.push(t2 - t0);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    client.close();
    report(
      "webhook-to-websocket",
      [
        ...summarize("webhook → frame at client", endToEnd, "ms", "p95 ≤ 250 ms"),
        ...summarize("webhook 202 response", accepted, "ms"),
      ],
      { database: stack.databaseKind, events },
    );
  } finally {
    await stack.close();
  }
}
