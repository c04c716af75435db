/**
 * The dashboard bench's page loads: a signed-in browser context with the page probe, one cold load
 * (new context, empty cache) observed through resource timing and the probe, and the rows that
 * summarise a set of them — bytes against web/dist, time to the first KPI value, LCP, and where
 * that time went.
 */
import type { Browser, BrowserContext } from "playwright-core";
import { signInFromPage } from "../../test/support/browser.ts";
import { SESSION_COOKIE } from "../../workers/http/auth.ts";
import { type Asset, type distBytes, totals } from "./dist-bytes.ts";
import { sleep } from "./live-client.ts";
import { installProbe } from "./page-probe.ts";
import { percentile, type Row, summarize } from "./report.ts";
import type { BenchStack } from "./stack.ts";

const VIEWPORT = { width: 1280, height: 800 };
/** Lighthouse's desktop throttling, without its CPU slowdown (this machine is slow enough). */
export const EMULATED_LINK = {
  latency: 40,
  downloadThroughput: (10_000_000 / 8) * 0.9,
  uploadThroughput: 10_000_000 / 8,
};
export type SignIn = "cookie" | "link";

export const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;
const kB = (bytes: number) => round(bytes / 1000, 2);
/** Wall clock with sub-millisecond resolution (the page's timeOrigin + now() is on the same clock). */
export const wallNow = () => performance.timeOrigin + performance.now();
export const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

export async function signedInContext(
  browser: Browser,
  stack: BenchStack,
  by: SignIn,
): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  if (by === "cookie") {
    // A real session, signed in by the browser itself; the cache is emptied afterwards, so the
    // measured load starts cold.
    const page = await context.newPage();
    const status = await signInFromPage(page, stack.baseUrl, stack.viewerToken);
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.clearBrowserCache");
    await cdp.detach();
    await page.close();
    const cookies = await context.cookies(stack.baseUrl);
    if (status !== 200 || !cookies.some((c) => c.name === SESSION_COOKIE))
      throw new Error(`sign-in failed: HTTP ${status}`);
  }
  await context.addInitScript(installProbe);
  return context;
}

export const pageUrl = (stack: BenchStack, by: SignIn) =>
  by === "link" ? `${stack.baseUrl}/#token=${encodeURIComponent(stack.viewerToken)}` : `${stack.baseUrl}/`;

export interface Resource {
  name: string;
  initiatorType: string;
  transferSize: number;
  encodedBodySize: number;
  decodedBodySize: number;
  renderBlockingStatus: string;
  startTime: number;
  /** First byte of the response (the server's time, plus the hop). */
  responseStart: number;
  responseEnd: number;
  /** The API's `server-timing` (db connection, data version, compute), by name. */
  serverTiming: Record<string, number>;
}

export interface ColdLoad {
  firstValue: number;
  /** First `data-latest` of the live chart (NaN on a page without one). */
  firstChart: number;
  lcp: number;
  lcpElement: string;
  fcp: number;
  html: { transferSize: number; decodedBodySize: number; responseEnd: number };
  resources: Resource[];
  webSockets: number;
  /** Page clock: the first WebSocket's creation and its first frame in (seen from Playwright: ±few ms). */
  socket: { opened: number; firstFrame: number };
  longTasks: { count: number; totalMs: number };
}

export async function coldLoad(browser: Browser, stack: BenchStack, by: SignIn, link?: typeof EMULATED_LINK) {
  const context = await signedInContext(browser, stack, by);
  try {
    const page = await context.newPage();
    let webSockets = 0;
    const socketWall = { opened: Number.NaN, firstFrame: Number.NaN };
    page.on("websocket", (ws) => {
      if (webSockets++ > 0) return;
      socketWall.opened = wallNow();
      ws.once("framereceived", () => {
        socketWall.firstFrame = wallNow();
      });
    });
    if (link) {
      const cdp = await context.newCDPSession(page);
      await cdp.send("Network.enable");
      await cdp.send("Network.emulateNetworkConditions", { offline: false, ...link });
    }
    await page.goto(pageUrl(stack, by), { waitUntil: "commit" });
    await page.waitForFunction(() => (window.__pulseBench?.values.length ?? 0) > 0, undefined, {
      timeout: 20_000,
      polling: 50,
    });
    // LCP candidates keep coming while the page renders; give the first screen a moment to settle.
    await sleep(600);
    const load = await page.evaluate(() => {
      const probe = window.__pulseBench!;
      const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
      const resources = (performance.getEntriesByType("resource") as PerformanceResourceTiming[]).map(
        (r) => ({
          name: r.name,
          initiatorType: r.initiatorType,
          transferSize: r.transferSize,
          encodedBodySize: r.encodedBodySize,
          decodedBodySize: r.decodedBodySize,
          renderBlockingStatus:
            (r as PerformanceResourceTiming & { renderBlockingStatus?: string }).renderBlockingStatus ??
            "unknown",
          startTime: r.startTime,
          responseStart: r.responseStart,
          responseEnd: r.responseEnd,
          serverTiming: Object.fromEntries(r.serverTiming.map((t) => [t.name, t.duration])),
        }),
      );
      const lcp = probe.lcp.at(-1);
      return {
        timeOrigin: probe.timeOrigin,
        firstValue: probe.values[0]!.at,
        firstChart: probe.chart[0]?.at ?? Number.NaN,
        lcp: lcp?.startTime ?? Number.NaN,
        lcpElement: lcp?.element ?? "(none)",
        fcp: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? Number.NaN,
        html: {
          transferSize: nav.transferSize,
          decodedBodySize: nav.decodedBodySize,
          responseEnd: nav.responseEnd,
        },
        resources,
        longTasks: {
          count: probe.longTasks.length,
          totalMs: probe.longTasks.reduce((sum, t) => sum + t.duration, 0),
        },
      };
    });
    const { timeOrigin, ...rest } = load;
    const socket = { opened: socketWall.opened - timeOrigin, firstFrame: socketWall.firstFrame - timeOrigin };
    if (process.env.BENCH_VERBOSE) {
      const { lcp, longTasks: tasks } = await page.evaluate(() => window.__pulseBench!);
      const shown = lcp.map((c) => `${Math.round(c.startTime)} ms ${c.element} (${c.size})`);
      const at = (r?: Resource) => (r ? `${Math.round(r.startTime)}→${Math.round(r.responseEnd)}` : "-");
      const entry = load.resources.find((r) => r.name.includes("/assets/index-"));
      const batch = load.resources.find((r) => r.name.includes("/api/v1/batch"));
      console.error(
        `[cold load ${by}] html ${Math.round(load.html.responseEnd)}, js ${at(entry)}, batch ${at(batch)}, first value ${Math.round(load.firstValue)}, FCP ${Math.round(load.fcp)}; LCP ${shown.join(" → ")}; long tasks ${tasks.map((t) => `${Math.round(t.startTime)}+${Math.round(t.duration)}`).join(" ")}; socket ${Math.round(socket.opened)}/${Math.round(socket.firstFrame)} ms`,
      );
    }
    return { ...rest, webSockets, socket } satisfies ColdLoad;
  } finally {
    await context.close();
  }
}

const extension = (url: string) => new URL(url).pathname.match(/\.(js|mjs|css)$/)?.[1] ?? "";

/** p50 milestones of the loads, in page time: what the first value waits for. */
function waterfall(loads: ColdLoad[]): string {
  const p50 = (pick: (l: ColdLoad) => number | undefined) => {
    const xs = loads.map(pick).filter((x): x is number => x !== undefined && !Number.isNaN(x));
    return xs.length ? `${round(median(xs))}` : "–";
  };
  const of = (l: ColdLoad, kind: string) => l.resources.filter((r) => extension(r.name) === kind);
  const api = new Set(
    loads.flatMap((l) =>
      l.resources.filter((r) => r.initiatorType === "fetch").map((r) => new URL(r.name).pathname),
    ),
  );
  const fetches = [...api].map((path) => {
    const find = (l: ColdLoad) =>
      l.resources.find((r) => r.initiatorType === "fetch" && new URL(r.name).pathname === path);
    const pick = (key: "startTime" | "responseEnd") => (l: ColdLoad) => find(l)?.[key];
    const server = (name: string) => (l: ColdLoad) => find(l)?.serverTiming[name];
    const timed = loads.some((l) => find(l)?.serverTiming.db !== undefined);
    const inside = timed
      ? ` (db connect ${p50(server("db"))}, version ${p50(server("version"))}, compute ${p50(server("compute"))})`
      : "";
    return `${path} ${p50(pick("startTime"))}→${p50(pick("responseEnd"))}${inside}`;
  });
  return [
    `HTML ${p50((l) => l.html.responseEnd)}`,
    `JS ${p50((l) => Math.max(...of(l, "js").map((r) => r.responseEnd)))}`,
    `CSS ${p50((l) => Math.max(...of(l, "css").map((r) => r.responseEnd)))}`,
    ...fetches,
    `socket ${p50((l) => l.socket.opened)}→first frame ${p50((l) => l.socket.firstFrame)}`,
    `first value ${p50((l) => l.firstValue)} ms (p50s)`,
  ].join(", ");
}

/** Rows for one variant of cold loads. */
export function loadRows(label: string, loads: ColdLoad[]): Row[] {
  const elements = new Map<string, number>();
  for (const l of loads) elements.set(l.lcpElement, (elements.get(l.lcpElement) ?? 0) + 1);
  const lcpNote = [...elements]
    .sort((a, b) => b[1] - a[1])
    .map(([element, n]) => `${element} ×${n}`)
    .join(", ");
  const [firstP50, firstP95] = summarize(
    `${label}: first KPI value`,
    loads.map((l) => l.firstValue),
    "ms",
    "≤ 1 s",
  );
  const [lcpP50, lcpP95] = summarize(
    `${label}: LCP`,
    loads.map((l) => l.lcp),
    "ms",
    "≤ 1 s",
  );
  const critical = loads.map((l) => l.resources.filter((r) => r.responseEnd <= l.firstValue).length + 1);
  const charted = loads.filter((l) => !Number.isNaN(l.firstChart));
  const chartRows = charted.length
    ? [
        {
          ...summarize(
            `${label}: live chart has data`,
            charted.map((l) => l.firstChart),
            "ms",
          )[0]!,
          note: `first data-latest on [data-testid="live-chart"], ${charted.length}/${loads.length} loads`,
        },
      ]
    : [];
  return [
    { ...firstP50!, note: `n=${loads.length}; FCP p50 ${round(median(loads.map((l) => l.fcp)))} ms` },
    firstP95!,
    { ...lcpP50!, note: `LCP element: ${lcpNote}` },
    lcpP95!,
    {
      metric: `${label}: requests done before the first value`,
      value: median(critical),
      unit: "",
      note: `p50, HTML included, + ${median(loads.map((l) => l.webSockets))} WebSocket; long tasks during load p50 ${median(loads.map((l) => l.longTasks.count))} (${round(median(loads.map((l) => l.longTasks.totalMs)))} ms)`,
    },
    ...chartRows,
    {
      metric: `${label}: where the time goes`,
      value: round(median(loads.map((l) => l.firstValue))),
      unit: "ms",
      note: waterfall(loads),
    },
  ];
}

/** Bytes in web/dist against bytes the browser fetched on a cold load, and render-blocking requests. */
export function byteRows(dist: ReturnType<typeof distBytes>, load: ColdLoad) {
  const js = totals(dist.initial, "js");
  const css = totals(dist.initial, "css");
  const lazy = dist.other.reduce((sum, a) => sum + a.raw, 0);
  const fetched = (kind: string) => load.resources.filter((r) => extension(r.name) === kind);
  const sum = (rs: Resource[], key: "decodedBodySize" | "transferSize") => rs.reduce((s, r) => s + r[key], 0);
  const fetchedJs = fetched("js");
  const fetchedCss = fetched("css");
  const beforeValue = load.resources.filter((r) => r.responseEnd <= load.firstValue);
  const blocking = load.resources.filter((r) => r.renderBlockingStatus === "blocking");
  const blockingJs = blocking.filter((r) => extension(r.name) === "js" || extension(r.name) === "mjs");
  const blockingCss = blocking.filter((r) => extension(r.name) === "css");
  const blockingOther = blocking.filter((r) => !["js", "mjs", "css"].includes(extension(r.name)));
  const flagged = [...blockingCss.slice(1), ...blockingJs.slice(1), ...blockingOther].map(
    (r) => new URL(r.name).pathname,
  );
  const mismatch =
    sum(fetchedJs, "decodedBodySize") !== js.raw || sum(fetchedCss, "decodedBodySize") !== css.raw
      ? "; differs from web/dist's initial files: see resources in the JSON"
      : "; = web/dist's initial files";
  const rows: Row[] = [
    {
      metric: "initial JS (web/dist), gzip",
      value: kB(js.gzip),
      unit: "kB",
      note: `${kB(js.raw)} kB raw, ${js.files} file(s); ${dist.other.length} other JS/CSS file(s), ${kB(lazy)} kB raw`,
    },
    {
      metric: "initial CSS (web/dist), gzip",
      value: kB(css.gzip),
      unit: "kB",
      note: `${kB(css.raw)} kB raw, ${css.files} file(s)`,
    },
    {
      metric: "HTML (web/dist), gzip",
      value: kB(dist.html.gzip),
      unit: "kB",
      note: `${kB(dist.html.raw)} kB raw`,
    },
    {
      metric: "browser fetched on a cold load: JS",
      value: kB(sum(fetchedJs, "decodedBodySize")),
      unit: "kB",
      note: `${fetchedJs.length} request(s), ${kB(sum(fetchedJs, "transferSize"))} kB transferred${mismatch}`,
    },
    {
      metric: "browser fetched on a cold load: CSS",
      value: kB(sum(fetchedCss, "decodedBodySize")),
      unit: "kB",
      note: `${fetchedCss.length} request(s), ${kB(sum(fetchedCss, "transferSize"))} kB transferred`,
    },
    {
      metric: "requests on a cold load (until first value + 0.6 s)",
      value: load.resources.length + 1,
      unit: "",
      note: `HTML + ${load.resources.map((r) => `${r.initiatorType} ${new URL(r.name).pathname}`).join(", ")}; ${beforeValue.length + 1} before the first value`,
    },
    {
      metric: "render-blocking requests beyond HTML, 1 CSS, 1 JS",
      value: flagged.length,
      unit: "",
      target: "0",
      note: `blocking: ${blocking.map((r) => new URL(r.name).pathname).join(", ") || "none"}${flagged.length ? ` — FLAGGED: ${flagged.join(", ")}` : ""}`,
    },
  ];
  return { rows, flagged, assets: [dist.html, ...dist.initial, ...dist.other] satisfies Asset[] };
}
