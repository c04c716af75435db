/**
 * The dashboard's first screen in a real browser (Debian's Chromium) against the real stack: its
 * answers come in one `GET /api/v1/batch` request, not one request each, and the tiles show the
 * API's values — signed in by a `#token=` link and by the session cookie. The drill-down, a chunk
 * of its own, still arrives.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserTestsRun, launchChromium, signInFromPage } from "../support/browser.ts";
import { saleEvent } from "../support/events.ts";
import { type Stack, startStack } from "../support/stack.ts";

const REGION = `FS-${crypto.randomUUID().slice(0, 8)}`;
const SALES = 12;

let stack: Stack;
let browser: Browser;

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

async function apiTotal(metric: string): Promise<number> {
  const url = new URL("/api/v1/query", stack.url);
  url.search = new URLSearchParams({ metrics: metric, grain: "range", region: REGION }).toString();
  const response = await fetch(url, { headers: { authorization: `Bearer ${stack.viewerToken}` } });
  const answer = (await response.json()) as { columns: { name: string }[]; data: unknown[][] };
  return answer.data[answer.columns.findIndex((c) => c.name === metric)]?.[0] as number;
}

async function seed(): Promise<void> {
  const sales = Array.from({ length: SALES }, (_, i) =>
    saleEvent({
      region: REGION,
      saleTimestamp: `${day(-1 - (i % 6))}T10:00:00Z`,
      quantity: 1 + (i % 3),
      unitPrice: 20 + i,
    }),
  );
  expect((await stack.post(JSON.stringify(sales))).status).toBe(202);
  // The pipeline is asynchronous: wait until the API counts every seeded sale.
  const deadline = Date.now() + 30_000;
  while ((await apiTotal("orders")) !== SALES) {
    if (Date.now() > deadline) throw new Error("the seeded sales never all reached the API");
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The page's API requests (WebSocket upgrades aside), as path and query. */
function recordApiRequests(page: Page): string[] {
  const seen: string[] = [];
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith("/api/") && request.resourceType() !== "websocket") {
      seen.push(`${request.method()} ${url.pathname}${url.search}`);
    }
  });
  return seen;
}

async function expectFirstScreenInOneRequest(page: Page, seen: string[]): Promise<void> {
  const revenue = await apiTotal("revenue");
  await expect
    .poll(async () => Number(await page.getByTestId("tile-revenue").getAttribute("data-value")))
    .toBeCloseTo(revenue, 6);
  expect(Number(await page.getByTestId("tile-orders").getAttribute("data-value"))).toBe(SALES);
  // The drill-down loads as its own chunk and shows the region's bars.
  await page.getByTestId("drill-bar").first().waitFor();

  const batches = seen.filter((r) => r.startsWith("GET /api/v1/batch?"));
  expect(batches, seen.join("\n")).toHaveLength(1);
  const parts = new URLSearchParams(batches[0]!.slice("GET /api/v1/batch?".length)).getAll("get");
  expect(parts.map((p) => new URL(p, stack.url).pathname)).toEqual([
    "/api/v1/query",
    "/api/v1/query",
    "/api/v1/kpis/daily",
    "/api/v1/kpis/advanced",
  ]);
  expect(parts.every((p) => new URL(p, stack.url).searchParams.get("region") === REGION)).toBe(true);
  // None of the first screen's answers was asked for again on its own.
  const alone = seen.filter((r) => parts.some((p) => r === `GET ${p}`));
  expect(alone).toEqual([]);
}

describe.runIf(browserTestsRun())("the first screen", () => {
  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchChromium()]);
    await seed();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  const contexts: BrowserContext[] = [];
  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
  });

  it("signed in by a #token= link: one batch request, the API's values on the tiles", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    const seen = recordApiRequests(page);
    await page.goto(`${stack.url.origin}/?region=${REGION}#token=${stack.viewerToken}`);
    await expectFirstScreenInOneRequest(page, seen);
    expect(seen[0]).toBe("POST /api/v1/session");
  });

  it("signed in by the session cookie: one batch request, the API's values on the tiles", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const signIn = await context.newPage();
    const status = await signInFromPage(signIn, stack.url.origin, stack.viewerToken);
    expect(status).toBe(200);
    await signIn.close();

    const page = await context.newPage();
    const seen = recordApiRequests(page);
    await page.goto(`${stack.url.origin}/?region=${REGION}`);
    await expectFirstScreenInOneRequest(page, seen);
    expect(seen[0]).toMatch(/^GET \/api\/v1\/batch\?/);
  });

  it.each([
    { width: 1280, height: 900 },
    { width: 390, height: 844 },
  ])(
    "the daily briefing's line is there from the first screen: the tiles do not move when it comes ($width px)",
    async (viewport) => {
      const context = await browser.newContext({ viewport });
      contexts.push(context);
      const page = await context.newPage();
      // The briefing is asked for after the first figures; hold its answer until they are on screen.
      let answerBriefing!: () => void;
      const held = new Promise<void>((resolve) => {
        answerBriefing = resolve;
      });
      await page.route("**/api/v1/insights/daily", async (route) => {
        await held;
        await route.continue();
      });
      await page.goto(`${stack.url.origin}/?region=${REGION}#token=${stack.viewerToken}`);
      const tile = page.getByTestId("tile-revenue");
      await expect.poll(() => tile.getAttribute("data-value")).not.toBeNull();
      const briefing = page.getByTestId("briefing");
      expect(await briefing.getAttribute("aria-busy")).toBe("true");
      const before = await tile.boundingBox();

      answerBriefing();
      await expect.poll(() => briefing.getAttribute("aria-busy")).toBe("false");
      const line = await briefing.locator("summary").textContent();
      expect(line).toMatch(/^Yesterday: \S/);
      expect(line).not.toBe("Yesterday: …");
      expect(await tile.boundingBox()).toEqual(before);
    },
  );

  it("without a session the batch is refused once and the sign-in form shows", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    const seen = recordApiRequests(page);
    await page.goto(`${stack.url.origin}/?region=${REGION}`);
    await page.getByLabel("Viewer token").waitFor();
    expect(seen.filter((r) => r.startsWith("GET /api/v1/batch?"))).toHaveLength(1);
    expect(await page.getByRole("alert").count()).toBe(0);
  });
});
