/**
 * Freshness of the live tiles: time from posting a signed webhook to the WebSocket frame that
 * carries the new totals, over N sequential events (whole local stack: webhook → queue → consumer
 * → Postgres → Durable Object → WebSocket client in this separate process).
 */
import WebSocket from "ws";
import { saleEvent } from "../test/support/events.ts";
import { serverMessage } from "../workers/live/protocol.ts";
import { report, summarize } from "./lib/report.ts";
import { startBenchStack } from "./lib/stack.ts";

export async function benchLatency(events = Number(process.env.BENCH_EVENTS ?? 100)): Promise<void> {
  const stack = await startBenchStack();
  try {
    const ws = new WebSocket(`${stack.baseUrl.replace("http", "ws")}/api/v1/live?token=${stack.viewerToken}`);
    let latestOrders = -1;
    const waiters: { orders: number; resolve: (at: number) => void }[] = [];
    ws.on("message", (data) => {
      const at = performance.now();
      const message = serverMessage.parse(JSON.parse(String(data)));
      if (message.type === "error") return;
      latestOrders = message.tiles.orders;
      for (const w of waiters.filter((w) => latestOrders >= w.orders)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(at);
      }
    });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    while (latestOrders < 0) await new Promise((r) => setTimeout(r, 10));

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
    ws.close();
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
