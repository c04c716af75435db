/**
 * The overview at every size a reader brings — 320, 390 and 768 px, 1440 px and a 2560 px
 * screen — in light and dark, over two weeks of the demo company's history: nothing scrolls the
 * page sideways, no figure wraps or is cut, every table fits or scrolls inside its card, and no
 * chart with data behind it is blank. A one-day range draws its day. Screenshots go to
 * test-results/.
 */
import { mkdirSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DemoStream } from "../../scripts/demo/stream.ts";
import { bulkLoad, waitExact } from "../../scripts/lib/bulk-client.ts";
import { browserTestsRun, launchChromium } from "../support/browser.ts";
import { type Stack, startStack } from "../support/stack.ts";
import { TEST_ADMIN_TOKEN } from "../support/tokens.ts";

const ARTIFACTS = "test-results";
const WIDTHS = [320, 390, 768, 1440, 2560];
const DAY = 86_400_000;
/** The charts' line colour in light and dark (web/src/lib/charts.ts). */
const ACCENT = { light: [0x2b, 0x64, 0xd4], dark: [0x79, 0xa6, 0xff] } as const;

let stack: Stack;
let browser: Browser;

/** What a reader would see go wrong, collected in the page. */
function problems(accent: readonly number[]) {
  const found: string[] = [];
  const root = document.documentElement;
  if (root.scrollWidth > window.innerWidth) found.push(`page scrolls sideways: ${root.scrollWidth}px`);
  for (const el of document.querySelectorAll<HTMLElement>("[data-figure]")) {
    // The lines of its visible text (a shortened figure also carries the whole one for screen readers).
    const tops = new Set<number>();
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement?.closest(".visually-hidden")) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) if (r.width > 0) tops.add(Math.round(r.top));
    }
    const text = el.textContent ?? "";
    if (tops.size > 1) found.push(`figure wraps: "${text}"`);
    if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflow !== "visible")
      found.push(`figure cut: "${text}" (${el.scrollWidth} > ${el.clientWidth})`);
  }
  for (const table of document.querySelectorAll<HTMLElement>("table")) {
    const card = table.closest<HTMLElement>(".card");
    const scroller = table.closest<HTMLElement>(".table-scroll");
    const scrolls = scroller !== null && ["auto", "scroll"].includes(getComputedStyle(scroller).overflowX);
    const box = (card ?? table).getBoundingClientRect();
    if (!scrolls && table.getBoundingClientRect().right > box.right + 1)
      found.push("a table overflows its card");
    if (scrolls && scroller!.getBoundingClientRect().right > box.right + 1)
      found.push("a table's scroller overflows");
  }
  for (const figure of document.querySelectorAll<HTMLElement>("figure.chart")) {
    if (Number(figure.dataset.drawn) === 0) continue;
    const canvas = figure.querySelector("canvas");
    const context = canvas?.getContext("2d");
    if (!canvas || !context) {
      found.push(`chart ${figure.dataset.testid} has no canvas`);
      continue;
    }
    const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
    let inked = 0;
    for (let i = 0; i < data.length; i += 4) {
      const d =
        Math.abs(data[i]! - accent[0]!) +
        Math.abs(data[i + 1]! - accent[1]!) +
        Math.abs(data[i + 2]! - accent[2]!);
      if (d < 60 && data[i + 3]! > 200) inked++;
    }
    if (inked < 4)
      found.push(`chart ${figure.dataset.testid} is blank with ${figure.dataset.drawn} values behind it`);
  }
  return found;
}

async function open(width: number, scheme: "light" | "dark", search: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: scheme });
  const page = await context.newPage();
  await page.goto(`${stack.url.origin}/${search}#token=${stack.viewerToken}`);
  await expect.poll(() => page.getByTestId("connection").textContent(), { timeout: 10_000 }).toMatch(/live/i);
  const timeout = 10_000;
  // Unique customers come after the first screen (a request of their own): every tile is judged.
  for (const tile of ["tile-revenue", "tile-customers"]) {
    await expect
      .poll(() => page.getByTestId(tile).getAttribute("data-value"), { message: tile, timeout })
      .not.toBeNull();
  }
  for (const chart of ["revenue-chart", "chart-orders", "chart-unique_customers", "chart-avg_order_value"]) {
    const drawn = () => page.getByTestId(chart).getAttribute("data-drawn");
    await expect.poll(drawn, { message: chart, timeout }).toMatch(/^[1-9]/);
    // The plots are built just after the first paint.
    await page.locator(`[data-testid="${chart}"][data-plotted]`).waitFor({ timeout });
  }
  await page.getByTestId("health-sources").waitFor();
  // One more frame, so every chart has drawn its data and every figure has been fitted.
  await page.evaluate(
    () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
  );
  return page;
}

describe.runIf(browserTestsRun())("the overview at every size", () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    [stack, browser] = await Promise.all([startStack(), launchChromium()]);
    // Two weeks of the demo company at a fifth of its size: a few thousand events.
    const now = Date.now();
    const stream = new DemoStream({ seed: 11, epoch: Math.floor(now / DAY) * DAY - 13 * DAY, speed: 0.2 });
    const lines = [...stream.catalogEvents(), ...stream.until(now)].map((e) => JSON.stringify(e));
    const target = {
      baseUrl: stack.url.origin,
      source: stack.source.name,
      secret: stack.source.secret,
      adminToken: TEST_ADMIN_TOKEN,
    };
    const report = await bulkLoad(target, lines);
    expect(report.rejected + report.quarantined).toBe(0);
    // The screens are judged with every figure exact (none "updating…").
    await waitExact(target);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  for (const scheme of ["light", "dark"] as const) {
    it(`reads right at ${WIDTHS.join(", ")} px in ${scheme}`, async () => {
      for (const width of WIDTHS) {
        const page = await open(width, scheme, "?range=30d");
        const found = await page.evaluate(problems, ACCENT[scheme]);
        await page.screenshot({ path: `${ARTIFACTS}/overview-${width}-${scheme}.png`, fullPage: true });
        expect(found, `${width} px, ${scheme}`).toEqual([]);
        await page.context().close();
      }
    });
  }

  it("shows a one-day range as that day, in the singular", async () => {
    // A past day, which has its sales whatever the time: "today" has none in its first minutes.
    const day = new Date(Date.now() - 2 * DAY).toISOString().slice(0, 10);
    const page = await open(390, "light", `?from=${day}&to=${day}`);
    const chart = page.getByTestId("chart-orders");
    expect(await chart.locator(".chart__summary").textContent()).toMatch(/^1 day, /);
    // One day on an axis about one day wide (uPlot's own guess for one point is a thousand days).
    expect(Number(await chart.getAttribute("data-x-span"))).toBeLessThanOrEqual(2 * 86_400);
    expect(await page.evaluate(problems, ACCENT.light)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/overview-today-390.png`, fullPage: true });
    await page.context().close();
  });
});
