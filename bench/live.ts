/**
 * `npm run bench -- live`: the live layer, with the whole local stack (webhook → queue → consumer →
 * Postgres → KpiRoom → WebSocket clients outside `wrangler dev`).
 *
 * - freshness: webhook → frame at a dashboard, at 10 and at 500 events/s (500/s = 50 requests/s of
 *   10 events: a source that busy batches);
 * - fan-out: 1,000 and 5,000 sockets in a child process; per update, time from the room's broadcast
 *   to each socket; workerd CPU per update with and without the sockets (the difference is the
 *   fan-out's cost);
 * - reconnect: every socket dropped server-side (as a deploy does) → the dashboard client (the
 *   page's own reconnect policy and state machine, in Node) resynced.
 *
 * BENCH_LIVE_SECONDS (10) sets each freshness run's length; BENCH_LIVE_CLIENTS ("1000,5000") the
 * fan-out sizes; BENCH_LIVE_PARTS ("freshness,fanout,reconnect") which parts run;
 * BENCH_LIVE_SHARDS ("4") the shard counts whose fan-out is measured too, each on a stack of its own.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import ReconnectingWebSocket from "partysocket/ws";
import WebSocket from "ws";
import { saleEvent } from "../test/support/events.ts";
import { initialView, type KpiView, step } from "../web/src/lib/kpi-state.ts";
import { reconnectOptions, sendMessage } from "../web/src/lib/live-socket.ts";
import { type ClientMessage, serverMessage } from "../workers/live/protocol.ts";
import { cpuSince, runtimeUrl, type WorkerdCpu, workerdCpuMs } from "./lib/cpu.ts";
import { liveSocketUrl, openLiveClient, sleep } from "./lib/live-client.ts";
import { percentile, type Row, report, summarize } from "./lib/report.ts";
import { type BenchStack, startBenchStack } from "./lib/stack.ts";

const round = (v: number) => Math.round(v * 10) / 10;
const progress = (message: string) => console.error(`[live] ${message}`);

/**
 * The whole-business orders of today as the dashboards see them, and a way to wait for a count.
 * Reconnects at once when the server drops it (the reconnect run drops every socket).
 */
function observe(stack: BenchStack, base = stack.baseUrl) {
  let orders = -1;
  let closing = false;
  const waiters: { orders: number; resolve: (at: number) => void }[] = [];
  const open = () => {
    const c = openLiveClient(liveSocketUrl(base, stack.viewerToken), (frame, at) => {
      if (frame.type !== "snapshot" && frame.type !== "delta") return;
      orders = Math.max(orders, frame.tiles.orders);
      for (const w of waiters.filter((w) => orders >= w.orders)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(at);
      }
    });
    c.ws.once("close", () => {
      if (!closing) client = open();
    });
    c.ready.catch(() => undefined); // a reopened socket that fails closes and reopens again
    return c;
  };
  let client = open();
  return {
    ready: client.ready,
    orders: () => orders,
    /** Resolves (performance clock) when the dashboards show at least `target` orders. */
    until: (target: number, ms = 30_000) =>
      new Promise<number>((resolve, reject) => {
        if (orders >= target) return resolve(performance.now());
        const timer = setTimeout(() => reject(new Error(`no frame showed ${target} orders in ${ms} ms`)), ms);
        waiters.push({
          orders: target,
          resolve: (at) => {
            clearTimeout(timer);
            resolve(at);
          },
        });
      }),
    close: () => {
      closing = true;
      client.close();
    },
  };
}

type Observer = ReturnType<typeof observe>;

/** Posts signed events to the stack's address, or to `base` (the runtime's own). */
async function post(stack: BenchStack, events: unknown[], base?: string): Promise<void> {
  const response = await stack.post(JSON.stringify(events), base);
  if (response.status !== 202)
    throw new Error(`webhook answered ${response.status}: ${await response.text()}`);
}

/**
 * Posts `rate` events/s for `seconds`; returns per-request latencies (ms) to the frame showing them.
 * With `address` the requests go there (the runtime's own); `observer` watches the same.
 */
async function freshness(
  stack: BenchStack,
  observer: Observer,
  rate: number,
  seconds: number,
  address?: string,
) {
  const perRequest = Math.max(1, Math.round(rate / 50));
  const requests = Math.round((rate * seconds) / perRequest);
  const interval = (1000 * perRequest) / rate;
  const base = observer.orders();
  const sentToFrame: number[] = [];
  const acceptedToFrame: number[] = [];
  const pending: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < requests; i++) {
    const due = start + i * interval;
    if (due > performance.now()) await sleep(due - performance.now());
    const target = base + (i + 1) * perRequest;
    const events = Array.from({ length: perRequest }, () => saleEvent({ quantity: 1, unitPrice: 10 }));
    pending.push(
      (async () => {
        const sent = performance.now();
        const frame = observer.until(target);
        await post(stack, events, address);
        const accepted = performance.now();
        const shown = await frame;
        sentToFrame.push(shown - sent);
        acceptedToFrame.push(Math.max(0, shown - accepted));
      })(),
    );
  }
  const lateness = performance.now() - start - requests * interval;
  await Promise.all(pending);
  return { sentToFrame, acceptedToFrame, requests, perRequest, lateness };
}

/** `updates` single-sale updates, one at a time; resolves with workerd CPU per update (ms). */
async function updatesCpu(stack: BenchStack, observer: Observer, updates: number): Promise<WorkerdCpu> {
  const cpu0 = workerdCpuMs(stack.workerGroup);
  for (let i = 0; i < updates; i++) {
    const target = observer.orders() + 1;
    await post(stack, [saleEvent({ quantity: 1, unitPrice: 10 })]);
    await observer.until(target);
    if (i % 5 === 4) progress(`${i + 1}/${updates} updates`);
    await sleep(400); // every socket has it; the next update gets its own broadcast
  }
  return cpuSince(cpu0, workerdCpuMs(stack.workerGroup), updates);
}

interface FanoutReport {
  clients: number;
  connected: number;
  connectMs: number;
  toLast: number[];
  all: number[];
  cpuPerUpdate: WorkerdCpu;
}

async function fanout(
  stack: BenchStack,
  observer: Observer,
  clients: number,
  updates: number,
): Promise<FanoutReport> {
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
  try {
    const ready = reply<{ connected: number; failed: number; ms: number }>("ready");
    // Straight to the runtime: wrangler's dev proxy would relay every frame (a cost production
    // does not have) and dies at ~4,900 sockets here (four descriptors each, 20,000 allowed).
    const base = await runtimeUrl(stack.workerGroup);
    if (!base)
      throw new Error("the runtime's own address was not found (the dev proxy would not hold the sockets)");
    child.send({ type: "connect", url: liveSocketUrl(base, stack.viewerToken), count: clients });
    const { connected, failed, ms } = await ready;
    progress(`${connected} sockets subscribed (${failed} failed) in ${round(ms)} ms`);
    await sleep(1000);
    const cpuPerUpdate = await updatesCpu(stack, observer, updates);
    const reported = reply<{ updates: { seq: number; received: number; latencies: number[] }[] }>("report");
    child.send({ type: "report" });
    const per = (await reported).updates.filter((u) => u.received >= connected * 0.99);
    return {
      clients,
      connected,
      connectMs: ms,
      toLast: per.map((u) => u.latencies.at(-1)!),
      all: per.flatMap((u) => u.latencies),
      cpuPerUpdate,
    };
  } finally {
    child.send({ type: "close" });
    await new Promise((resolve) => child.once("exit", resolve));
  }
}

/** Dashboards using the page's reconnect policy and state machine, in Node. */
function dashboards(stack: BenchStack, count: number) {
  return Array.from({ length: count }, (_, i) => {
    const socket = new ReconnectingWebSocket(
      `${liveSocketUrl(stack.baseUrl, stack.viewerToken)}&client=dashboard-${i}`,
      undefined,
      Object.assign(reconnectOptions(), { WebSocket }),
    );
    const client = { socket, view: initialView() as KpiView, closedAt: 0, resyncedAt: 0, resumedBy: "" };
    const apply = (send: ClientMessage | undefined) => send && sendMessage(socket, send);
    socket.addEventListener("open", () => {
      const next = step(client.view, { type: "connected" });
      client.view = next.view;
      apply(next.send);
    });
    socket.addEventListener("close", () => {
      client.closedAt = performance.now();
    });
    socket.addEventListener("message", (event) => {
      const frame = serverMessage.parse(JSON.parse(String(event.data)));
      if (frame.type !== "snapshot" && frame.type !== "delta") return;
      const wasAwaiting = client.view.awaiting;
      const next = step(client.view, { type: "frame", frame, at: Date.now() });
      client.view = next.view;
      apply(next.send);
      if (wasAwaiting && !client.view.awaiting) {
        client.resyncedAt = performance.now();
        client.resumedBy = frame.type;
      }
    });
    return client;
  });
}

async function reconnect(stack: BenchStack, observer: Observer, count: number, rounds: number) {
  const clients = dashboards(stack, count);
  const dropToResynced: number[] = [];
  const closeToResynced: number[] = [];
  let byDelta = 0;
  let correct = 0;
  try {
    const deadline = Date.now() + 20_000;
    while (clients.some((c) => c.resyncedAt === 0) && Date.now() < deadline) await sleep(20);
    for (let r = 0; r < rounds; r++) {
      for (const c of clients) c.resyncedAt = 0;
      const t0 = performance.now();
      const response = await fetch(`${stack.baseUrl}/api/v1/live/reconnect`, {
        method: "POST",
        headers: { authorization: `Bearer ${stack.adminToken}` },
      });
      if (!response.ok) throw new Error(`reconnect answered ${response.status}`);
      // A sale while they are away: the resync must bring it.
      const target = observer.orders() + 1;
      await post(stack, [saleEvent({ quantity: 1, unitPrice: 10 })]);
      await observer.until(target);
      const until = Date.now() + 10_000;
      while (
        clients.some((c) => c.resyncedAt === 0 || (c.view.tiles?.orders ?? 0) < target) &&
        Date.now() < until
      )
        await sleep(10);
      for (const c of clients) {
        if (c.resyncedAt === 0) continue;
        dropToResynced.push(c.resyncedAt - t0);
        closeToResynced.push(c.resyncedAt - c.closedAt);
        if (c.resumedBy === "delta") byDelta++;
        if (c.view.tiles?.orders === observer.orders()) correct++;
      }
      await sleep(6_000); // past partysocket's minUptime, so the next drop starts from its first delay
    }
  } finally {
    for (const c of clients) c.socket.close();
  }
  return { dropToResynced, closeToResynced, byDelta, correct, total: count * rounds };
}

function fanoutRows(f: FanoutReport, baseline: WorkerdCpu, shards: number): Row[] {
  const all = [...f.all].sort((a, b) => a - b);
  const toLast = [...f.toLast].sort((a, b) => a - b);
  const label = `fan-out ${f.clients}${shards > 1 ? ` (${shards} shards)` : ""}`;
  return [
    {
      metric: `${label}: sockets connected`,
      value: f.connected,
      unit: "",
      note: `in ${round(f.connectMs)} ms`,
    },
    {
      metric: `${label}: broadcast → last socket p50`,
      value: round(percentile(toLast, 50)),
      unit: "ms",
      note: `max ${round(toLast.at(-1) ?? Number.NaN)} ms over ${toLast.length} updates`,
    },
    { metric: `${label}: broadcast → socket p50`, value: round(percentile(all, 50)), unit: "ms" },
    {
      metric: `${label}: broadcast → socket p99`,
      value: round(percentile(all, 99)),
      unit: "ms",
      ...(f.clients === 1000 ? { target: "p99 ≤ 200 ms" } : {}),
    },
    {
      metric: `${label}: room CPU per broadcast`,
      value: round(f.cpuPerUpdate.runtime - baseline.runtime),
      unit: "ms",
      note: `runtime ${round(f.cpuPerUpdate.runtime)} ms per update − ${round(baseline.runtime)} ms with 1 socket`,
    },
  ];
}

/**
 * Freshness at 10 and 500 events/s, straight to the runtime (as production has it) and through
 * wrangler's dev proxy, which relays every request and frame on the same two cores (a cost
 * production does not have); each route watched by a socket of its own route.
 */
async function freshnessRows(stack: BenchStack, proxied: Observer, seconds: number): Promise<Row[]> {
  const direct = await runtimeUrl(stack.workerGroup);
  if (!direct) throw new Error("the runtime's own address was not found");
  const straight = observe(stack, direct);
  const rows: Row[] = [];
  try {
    await straight.ready;
    const routes = [
      { label: "", observer: straight, base: direct },
      { label: " via the dev proxy", observer: proxied, base: undefined },
    ];
    for (const rate of [10, 500]) {
      for (const { label, observer, base } of routes) {
        progress(`freshness at ${rate} events/s for ${seconds} s${label || " straight to the runtime"}`);
        // Each run counts from what its socket shows: first let it show every order so far.
        await observer.until(Math.max(straight.orders(), proxied.orders()));
        const run = await freshness(stack, observer, rate, seconds, base);
        const note = `${run.requests} requests × ${run.perRequest} event(s); sender ${round(run.lateness)} ms late`;
        const name = `freshness @${rate}/s${label}`;
        rows.push(
          ...summarize(`${name}: webhook sent → frame`, run.sentToFrame, "ms", "p95 ≤ 250 ms").map((r) => ({
            ...r,
            note: r.note ?? note,
          })),
          ...summarize(`${name}: 202 → frame`, run.acceptedToFrame, "ms").slice(0, 3),
        );
      }
    }
  } finally {
    straight.close();
  }
  return rows;
}

/** What the stacks ran on (the machine's Postgres server when one answers, else PGlite). */
let databaseKind = "unknown";

/** One stack with `shards` live shards; runs the requested parts and returns their rows. */
async function runStack(
  shards: number,
  parts: Set<string>,
  sizes: number[],
  seconds: number,
): Promise<Row[]> {
  const stack = await startBenchStack({ vars: { LIVE_SHARDS: String(shards) } });
  databaseKind = stack.databaseKind;
  const observer = observe(stack);
  const rows: Row[] = [];
  try {
    await observer.ready;
    progress(`stack with ${shards} shard(s): warming up`);
    await freshness(stack, observer, 10, 2); // workerd compiles lazily

    if (parts.has("freshness")) rows.push(...(await freshnessRows(stack, observer, seconds)));

    if (parts.has("fanout")) {
      progress("CPU per update with one socket");
      const baseline = await updatesCpu(stack, observer, 20);
      rows.push({
        metric: `CPU per update, 1 socket${shards > 1 ? ` (${shards} shards)` : ""}: Worker + rooms`,
        value: round(baseline.runtime),
        unit: "ms",
        note: `+ ${round(baseline.proxy)} ms in wrangler's dev proxy`,
      });
      for (const clients of sizes) {
        progress(`fan-out to ${clients} sockets`);
        try {
          rows.push(...fanoutRows(await fanout(stack, observer, clients, 20), baseline, shards));
        } catch (error) {
          // Reported, not fatal: the other parts and the JSON still come out.
          progress(`fan-out to ${clients} sockets failed: ${String(error)}`);
          rows.push({
            metric: `fan-out ${clients}: failed`,
            value: 0,
            unit: "",
            note: String(error).slice(0, 200),
          });
          break;
        }
      }
    }

    if (parts.has("reconnect")) {
      progress("reconnect after a server-side drop");
      const r = await reconnect(stack, observer, 50, 5);
      const note = `${r.byDelta}/${r.total} resumed by delta, ${r.correct}/${r.total} exact after`;
      rows.push(
        ...summarize("reconnect: server drop → resynced", r.dropToResynced, "ms", "≤ 1 s").map((row) => ({
          ...row,
          note: row.note ?? note,
        })),
        ...summarize("reconnect: close seen → resynced", r.closeToResynced, "ms").slice(0, 3),
      );
    }
    return rows;
  } finally {
    observer.close();
    await stack.close();
  }
}

export async function benchLive(): Promise<void> {
  const seconds = Number(process.env.BENCH_LIVE_SECONDS ?? 10);
  const sizes = (process.env.BENCH_LIVE_CLIENTS ?? "1000,5000").split(",").map(Number);
  const parts = new Set((process.env.BENCH_LIVE_PARTS ?? "freshness,fanout,reconnect").split(","));
  const sharded = (process.env.BENCH_LIVE_SHARDS ?? "4").split(",").filter(Boolean).map(Number);
  const rows = await runStack(1, parts, sizes, seconds);
  // The same fan-out with dashboards spread over shard rooms (a second stack: LIVE_SHARDS is config).
  if (parts.has("fanout")) {
    for (const shards of sharded) rows.push(...(await runStack(shards, new Set(["fanout"]), sizes, seconds)));
  }
  report("live", rows, { database: databaseKind });
}
