/**
 * `npm run bench -- dashboard`: the dashboard in Debian's Chromium (playwright-core, headless)
 * against the local stack with two years of history (`lib/kpi-history.ts`, set-based in SQL):
 *
 * - bytes: the JS and CSS a first visit loads, raw and gzip, read from web/dist after
 *   `npm run build`, and checked against what the browser fetched (resource timing: requests,
 *   decoded and transferred bytes, render-blocking status);
 * - cold load: a new browser context each time (empty cache), already signed in by the session
 *   cookie — and, apart, by a `#token=` link — until `[data-testid="tile-revenue"]` has a
 *   `data-value` (the first KPI value), and LCP; on loopback and over an emulated link
 *   (40 ms RTT, 10 Mbit/s: Lighthouse's desktop profile) — target ≤ 1 s;
 * - live update: a signed sale webhook while the page is open → the tile's `data-value` changes
 *   (a MutationObserver in the page; the page's clock turned into wall clock by
 *   `performance.timeOrigin`), the frame time (the page's own `performance.measure
 *   ("pulse:live-update")` when it records one, else tile mutation → next requestAnimationFrame
 *   callback) and the long tasks meanwhile. A WebSocket client in Node watches the same room, so
 *   the page's share (frame at a socket → tile) is told apart from the pipeline's.
 *
 * Two databases, each its own stack and table (`--database=server|pglite|both`, both by default):
 *
 * - server: the machine's Postgres (or BENCH_DATABASE_URL) with two years of history
 *   (BENCH_DASHBOARD_SALES, 730,000 sales), written set-based;
 * - pglite: the embedded default, as `npm start` runs it (PGlite on the wire protocol, the wsproxy,
 *   `wrangler dev`) with the demo's 90 days of history (BENCH_DASHBOARD_DEMO_DAYS) loaded the way
 *   `npm start` loads it: the demo business's events through the bulk endpoint and `/bulk/finish`,
 *   then the live room's drain. Written to bench/results/dashboard-pglite.json.
 *
 * BENCH_DASHBOARD_LOADS (15) and BENCH_DASHBOARD_UPDATES (30) set the samples;
 * BENCH_DASHBOARD_BUILD=0 skips the build (web/dist as it is).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type pg from "pg";
import type { Browser, Page } from "playwright-core";
import { loadHistory as loadDemoHistory } from "../scripts/demo/history.ts";
import { DemoStream } from "../scripts/demo/stream.ts";
import { waitExact } from "../scripts/lib/bulk-client.ts";
import { projectRoot } from "../scripts/lib/wrangler-dev.ts";
import { chromiumAvailable, launchChromium } from "../test/support/browser.ts";
import { saleEvent } from "../test/support/events.ts";
import {
  byteRows,
  type ColdLoad,
  coldLoad,
  EMULATED_LINK,
  loadRows,
  median,
  pageUrl,
  round,
  type SignIn,
  signedInContext,
  wallNow,
} from "./lib/cold-load.ts";
import { distBytes } from "./lib/dist-bytes.ts";
import { generateDimensions, generateSales, HISTORY_DAYS, rebuildRollups } from "./lib/kpi-history.ts";
import { liveSocketUrl, openLiveClient, sleep } from "./lib/live-client.ts";
import type { ProbeState } from "./lib/page-probe.ts";
import { type Row, report, summarize } from "./lib/report.ts";
import { type BenchStack, startBenchStack } from "./lib/stack.ts";

const LOADS = Number(process.env.BENCH_DASHBOARD_LOADS ?? 15);
const UPDATES = Number(process.env.BENCH_DASHBOARD_UPDATES ?? 30);

const progress = (message: string) => console.error(`[dashboard] ${message}`);

function build(): string {
  const result = spawnSync("npm", ["run", "build"], { cwd: projectRoot, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`npm run build failed:\n${result.stdout}\n${result.stderr}`);
  return (
    `${result.stdout}\n${result.stderr}`
      .split("\n")
      .find((line) => line.includes("bundle budget"))
      ?.trim() ?? ""
  );
}

async function loadHistory(stack: BenchStack, sales: number): Promise<number> {
  const t0 = performance.now();
  const client = await stack.db.connect();
  // The history helpers take a node-postgres Client; a pooled client has the same query API.
  const db = client as unknown as pg.Client;
  try {
    await client.query("SET work_mem = '256MB'");
    const today = new Date().toISOString().slice(0, 10);
    await generateDimensions(db, sales);
    await generateSales(db, 0, sales, today, (n) => progress(`  ${n.toLocaleString()} sales`));
    await rebuildRollups(db);
  } finally {
    client.release();
  }
  return (performance.now() - t0) / 1000;
}

/**
 * The demo's history as `npm start` loads it on a new database: `days` days of the demo business
 * (seed 7, speed 1) up to now through the bulk endpoint, then until the room has drained every slice.
 */
export async function loadDemo(
  stack: BenchStack,
  days: number,
): Promise<{ events: number; seconds: number }> {
  const t0 = performance.now();
  const DAY_MS = 86_400_000;
  const now = Date.now();
  const epoch = Math.floor(now / DAY_MS) * DAY_MS - Math.max(0, days - 1) * DAY_MS;
  const target = {
    baseUrl: stack.baseUrl,
    source: stack.source.name,
    secret: stack.source.secret,
    adminToken: stack.adminToken,
  };
  let shown = 0;
  const result = await loadDemoHistory({
    target,
    stream: new DemoStream({ seed: 7, epoch, speed: 1 }),
    from: epoch,
    to: now,
    withCatalog: true,
    onProgress: (share, events) => {
      if (share * 100 < shown + 20) return;
      shown = Math.floor(share * 100);
      progress(`  ${shown} % — ${events.toLocaleString()} events`);
    },
  });
  await waitExact(target);
  return { events: result.events, seconds: (performance.now() - t0) / 1000 };
}

/** Today's whole-business tiles as a dashboard socket in Node sees them (wall clock of each frame). */
function watchRoom(stack: BenchStack) {
  let latest = { orders: -1, revenue: 0, at: 0 };
  const waiters: { orders: number; resolve: (frame: typeof latest) => void }[] = [];
  const client = openLiveClient(liveSocketUrl(stack.baseUrl, stack.viewerToken), (frame, at) => {
    if (frame.type !== "snapshot" && frame.type !== "delta") return;
    if (frame.tiles.orders < latest.orders) return;
    latest = { orders: frame.tiles.orders, revenue: frame.tiles.revenue, at: performance.timeOrigin + at };
    for (const w of waiters.filter((w) => latest.orders >= w.orders)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(latest);
    }
  });
  return {
    ready: client.ready,
    latest: () => latest,
    until: (orders: number, ms = 15_000) =>
      new Promise<typeof latest>((resolve, reject) => {
        if (latest.orders >= orders) return resolve(latest);
        const timer = setTimeout(() => reject(new Error(`no frame showed ${orders} orders in ${ms} ms`)), ms);
        waiters.push({
          orders,
          resolve: (frame) => {
            clearTimeout(timer);
            resolve(frame);
          },
        });
      }),
    close: () => client.close(),
  };
}
type Room = ReturnType<typeof watchRoom>;

let saleSeq = 0;
/** Posts one signed sale (a distinct amount each, so revenue always moves); resolves on the 202. */
async function postSale(stack: BenchStack): Promise<{ sent: number; accepted: number }> {
  const sent = wallNow();
  const body = JSON.stringify([saleEvent({ quantity: 1, unitPrice: 10 + (++saleSeq % 97) / 100 })]);
  const response = await stack.post(body);
  const accepted = wallNow();
  if (response.status !== 202)
    throw new Error(`webhook answered ${response.status}: ${await response.text()}`);
  return { sent, accepted };
}

interface Update {
  acceptedToTile: number;
  sentToTile: number;
  acceptedToSocket: number;
  socketToTile: number;
  tileToFrame: number;
  /** The tile moved by as much as the frame's revenue: the sale's amount, once. */
  valueMatches: boolean;
  /** 202 → the live chart's data-latest changed (absent when it did not move within 2 s, or no chart). */
  acceptedToChart?: number;
}

async function probeState(page: Page): Promise<ProbeState> {
  return page.evaluate(() => window.__pulseBench!);
}

async function liveUpdates(browser: Browser, stack: BenchStack, room: Room, count: number, warmup: number) {
  const context = await signedInContext(browser, stack, "cookie");
  try {
    const page = await context.newPage();
    await page.goto(pageUrl(stack, "cookie"));
    await page.getByTestId("connection").filter({ hasText: /live/i }).waitFor({ timeout: 20_000 });
    await page.waitForFunction(() => (window.__pulseBench?.values.length ?? 0) > 0, undefined, {
      timeout: 20_000,
    });
    await sleep(1000); // past the first screen's work
    const hasChart = (await probeState(page)).chart.length > 0;
    const updates: Update[] = [];
    let windowStart = 0;
    for (let i = 0; i < warmup + count; i++) {
      const previous = await probeState(page);
      const before = previous.values.length;
      const chartBefore = previous.chart.length;
      const { orders, revenue: revenueBefore } = room.latest();
      const target = orders + 1;
      const { sent, accepted } = await postSale(stack);
      if (i === warmup) windowStart = sent;
      const frame = await room.until(target);
      await page.waitForFunction(
        (n) => {
          const values = window.__pulseBench!.values;
          return values.length > n && values[values.length - 1]!.frame >= 0;
        },
        before,
        { timeout: 15_000, polling: 16 },
      );
      // The chart may show the sale in a later frame than the tile, or (a minute's point that only
      // grows) keep `data-latest`: wait a little, and count the updates that moved it.
      const chartMoved =
        hasChart &&
        (await page
          .waitForFunction((n) => window.__pulseBench!.chart.length > n, chartBefore, {
            timeout: 2_000,
            polling: 16,
          })
          .then(
            () => true,
            () => false,
          ));
      const probe = await probeState(page);
      const change = probe.values[before]!;
      const tileAt = probe.timeOrigin + change.at;
      // The tile shows the page's range and the frame today: the sale moves both by its amount.
      const tileMoved = Number(change.value) - Number(previous.values[before - 1]?.value ?? Number.NaN);
      const chartAt = chartMoved ? probe.timeOrigin + probe.chart[chartBefore]!.at : undefined;
      if (i >= warmup) {
        updates.push({
          acceptedToTile: tileAt - accepted,
          sentToTile: tileAt - sent,
          acceptedToSocket: frame.at - accepted,
          socketToTile: tileAt - frame.at,
          tileToFrame: change.frame - change.at,
          valueMatches: Math.abs(tileMoved - (frame.revenue - revenueBefore)) < 0.005,
          ...(chartAt === undefined ? {} : { acceptedToChart: chartAt - accepted }),
        });
      }
      if ((i + 1 - warmup) % 10 === 0 && i >= warmup) progress(`${i + 1 - warmup}/${count} live updates`);
      // Deltas reach a client at most every 100 ms: spacing them keeps one sale per frame.
      await sleep(250 + Math.random() * 100);
    }
    const probe = await probeState(page);
    const from = windowStart - probe.timeOrigin;
    return {
      updates,
      hasChart,
      measures: probe.measures.filter((m) => m.startTime >= from),
      longTasks: probe.longTasks.filter((t) => t.startTime >= from),
      unsupported: probe.unsupported,
    };
  } finally {
    await context.close();
  }
}

function chartRows(hasChart: boolean, updates: Update[]): Row[] {
  const moved = updates.flatMap((x) => (x.acceptedToChart === undefined ? [] : [x.acceptedToChart]));
  if (!hasChart) {
    return [
      {
        metric: "live update: 202 → live chart",
        value: Number.NaN,
        unit: "ms",
        note: "no live-chart on this page",
      },
    ];
  }
  const [p50, p95] = summarize("live update: 202 → live chart data-latest", moved, "ms");
  return [{ ...p50!, note: `${moved.length}/${updates.length} updates moved data-latest within 2 s` }, p95!];
}

export async function benchDashboard(flags: string[] = []): Promise<void> {
  if (!chromiumAvailable()) throw new Error("Chromium is missing: apt-get install -y chromium");
  const database = flags.find((f) => f.startsWith("--database="))?.slice("--database=".length) ?? "both";
  if (!["server", "pglite", "both"].includes(database))
    throw new Error(`--database=${database}: choose server, pglite or both`);
  let built: string | undefined;
  if (process.env.BENCH_DASHBOARD_BUILD !== "0") {
    progress("npm run build…");
    built = build();
  }
  if (database !== "pglite") await benchDashboardOn("server", built);
  if (database !== "server") await benchDashboardOn("pglite", built);
}

async function benchDashboardOn(database: "server" | "pglite", builtWith: string | undefined): Promise<void> {
  const started = performance.now();
  const rows: Row[] = [];
  const notes: Record<string, unknown> = {};
  if (builtWith !== undefined) notes.build = builtWith;
  const dist = distBytes(join(projectRoot, "web", "dist"));

  const stack = await startBenchStack(database === "pglite" ? { database: "pglite" } : {});
  let browser: Browser | undefined;
  let room: Room | undefined;
  try {
    if (stack.databaseKind === "pglite") {
      const days = Number(process.env.BENCH_DASHBOARD_DEMO_DAYS ?? 90);
      progress(`loading the demo's ${days} days of history into pglite through the bulk endpoint…`);
      const demo = await loadDemo(stack, days);
      const sales = Number(
        (await stack.db.query<{ n: string }>("SELECT count(*) AS n FROM silver_sales_clean")).rows[0]?.n ?? 0,
      );
      rows.push({
        metric: "history loaded",
        value: sales,
        unit: "sales",
        note: `the demo's ${days} days, ${demo.events.toLocaleString("en")} events through the bulk endpoint as npm start loads them, pglite, ${round(demo.seconds)} s to every KPI exact`,
      });
      notes.history = { sales, days, events: demo.events, seconds: round(demo.seconds) };
    } else {
      const sales = Number(process.env.BENCH_DASHBOARD_SALES ?? 730_000);
      progress(
        `loading ${sales.toLocaleString()} sales over ${HISTORY_DAYS} days into ${stack.databaseKind}…`,
      );
      const historySeconds = await loadHistory(stack, sales);
      rows.push({
        metric: "history loaded",
        value: sales,
        unit: "sales",
        note: `${HISTORY_DAYS} days (~${Math.round(sales / HISTORY_DAYS)}/day), ${stack.databaseKind}, ${round(historySeconds)} s`,
      });
      notes.history = { sales, days: HISTORY_DAYS, seconds: round(historySeconds) };
    }
    notes.database = stack.databaseKind;

    browser = await launchChromium();
    notes.chromium = browser.version();
    room = watchRoom(stack);
    await room.ready;
    // Today's first sales (history ends yesterday), which also warm the pipeline and the room.
    progress("warming up: today's first sales and two page loads");
    for (let i = 0; i < 10; i++) {
      const target = room.latest().orders + 1;
      await postSale(stack);
      await room.until(target);
    }
    await coldLoad(browser, stack, "cookie");
    await coldLoad(browser, stack, "link");

    // `fresh`: a sale lands just before each load, as the demo's live traffic (or any business's)
    // keeps doing: today's data changed, so no cached answer can serve the first screen — the
    // first visit after new data, the case a newcomer meets. The others load the same data again
    // (answers from the edge cache after the first).
    const variants: [string, SignIn, typeof EMULATED_LINK | undefined, number, boolean][] = [
      ["cold load, session cookie", "cookie", undefined, LOADS, false],
      ["cold load, session cookie, after a new sale", "cookie", undefined, LOADS, true],
      ["cold load, #token link", "link", undefined, LOADS, false],
      [
        "cold load, session cookie, 40 ms RTT 10 Mbit/s",
        "cookie",
        EMULATED_LINK,
        Math.ceil(LOADS / 2),
        false,
      ],
    ];
    const loadsOf: Record<string, ColdLoad[]> = {};
    for (const [label, by, link, n, fresh] of variants) {
      progress(`${label} ×${n}`);
      const loads: ColdLoad[] = [];
      for (let i = 0; i < n; i++) {
        if (fresh) {
          const target = room.latest().orders + 1;
          await postSale(stack);
          await room.until(target);
        }
        loads.push(await coldLoad(browser, stack, by, link));
      }
      loadsOf[label] = loads;
    }
    const first = loadsOf[variants[0]![0]]![0]!;
    const bytes = byteRows(dist, first);
    rows.splice(1, 0, ...bytes.rows);
    for (const [label] of variants) rows.push(...loadRows(label, loadsOf[label]!));
    notes.assets = bytes.assets;
    notes.coldLoadResources = first.resources;
    notes.emulatedLink = EMULATED_LINK;

    progress(`live updates ×${UPDATES}`);
    const live = await liveUpdates(browser, stack, room, UPDATES, 3);
    const u = live.updates;
    const fromPage = live.measures.length > 0;
    const frameTimes = fromPage ? live.measures.map((m) => m.duration) : u.map((x) => x.tileToFrame);
    const frameSource = fromPage
      ? `the page's performance.measure("pulse:live-update"), ${live.measures.length} for ${u.length} updates`
      : "no pulse:live-update measures: tile mutation → next requestAnimationFrame callback";
    const [frameP50, frameP95] = summarize("live update: frame time", frameTimes, "ms");
    const [accP50, accP95] = summarize(
      "live update: webhook 202 → tile data-value",
      u.map((x) => x.acceptedToTile),
      "ms",
    );
    const taskMs = live.longTasks.map((t) => t.duration);
    rows.push(
      {
        ...accP50!,
        note: `n=${u.length}; webhook sent → tile p50 ${round(median(u.map((x) => x.sentToTile)))} ms`,
      },
      accP95!,
      ...chartRows(live.hasChart, u),
      {
        metric: "live update: 202 → frame at a Node socket p50",
        value: round(median(u.map((x) => x.acceptedToSocket))),
        unit: "ms",
        note: "the pipeline and the room, for reference",
      },
      {
        metric: "live update: frame at a Node socket → tile p50",
        value: round(median(u.map((x) => x.socketToTile))),
        unit: "ms",
        note: `the page's share (two sockets; can be < 0); tile moved by the frame's revenue change in ${u.filter((x) => x.valueMatches).length}/${u.length}`,
      },
      { ...frameP50!, note: frameSource },
      frameP95!,
      {
        metric: "live update: long tasks",
        value: live.longTasks.length,
        unit: "",
        note: live.unsupported.includes("longtask")
          ? "longtask entries not supported by this Chromium"
          : `over ${u.length} updates; total ${round(taskMs.reduce((a, b) => a + b, 0))} ms, max ${round(Math.max(0, ...taskMs))} ms`,
      },
    );
    notes.frameTimeSource = fromPage ? "performance.measure" : "mutation-to-raf";
    notes.liveUpdates = u;
    notes.longTasks = live.longTasks;
    notes.minutes = round((performance.now() - started) / 60_000);
    notes.machine = "2 cores shared with other work: expect noise";
  } finally {
    room?.close();
    await browser?.close();
    await stack.close();
  }
  report(stack.databaseKind === "pglite" ? "dashboard-pglite" : "dashboard", rows, notes);
}
