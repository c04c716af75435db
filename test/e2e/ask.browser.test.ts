/**
 * "Ask Pulse" in a real browser against the real stack, with sales of its own (a region no other
 * test uses): a question typed in the box is answered with the API's number, the interpretation
 * shows as chips, the sources fold out with the API link; an out-of-scope question is refused with
 * suggestions; it works at 360 px. Screenshots go to test-results/.
 */
import { mkdirSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserTestsRun, launchChromium } from "../support/browser.ts";
import { saleEvent } from "../support/events.ts";
import { type Stack, startStack } from "../support/stack.ts";

const ARTIFACTS = "test-results";
const REGION = `ASKE2E${crypto.randomUUID().slice(0, 6).toUpperCase()}`;
const SALES = 6;
const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);

let stack: Stack;
let browser: Browser;

async function revenueYesterday(): Promise<number | null> {
  const url = new URL("/api/v1/query", stack.url);
  for (const [k, v] of Object.entries({
    metrics: "revenue,orders",
    grain: "range",
    from: yesterday,
    to: yesterday,
    region: REGION,
  })) {
    url.searchParams.set(k, v);
  }
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${stack.viewerToken}`, "cache-control": "no-cache" },
  });
  const body = (await response.json()) as { columns: { name: string }[]; data: unknown[][] };
  const orders = body.data[body.columns.findIndex((c) => c.name === "orders")]?.[0];
  return orders === SALES
    ? (body.data[body.columns.findIndex((c) => c.name === "revenue")]?.[0] as number)
    : null;
}

async function open(width: number): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${stack.url.origin}/#token=${stack.viewerToken}`);
  await page.getByTestId("ask-input").waitFor({ timeout: 15_000 });
  return page;
}

async function askIn(page: Page, question: string): Promise<void> {
  await page.getByTestId("ask-input").fill(question);
  await page.getByTestId("ask-input").press("Enter");
  await page.getByTestId("ask-answer").waitFor({ timeout: 15_000 });
}

describe.runIf(browserTestsRun())("ask box", () => {
  beforeAll(async () => {
    stack = await startStack();
    const sales = Array.from({ length: SALES }, (_, i) =>
      saleEvent({
        region: REGION,
        customerId: `${REGION}-c${i % 3}`,
        productId: `${REGION}-p${i % 2}`,
        saleTimestamp: `${yesterday}T${String(9 + i).padStart(2, "0")}:15:00Z`,
        quantity: 1 + i,
        unitPrice: 12.5 + i,
        unitCost: 3,
      }),
    );
    expect((await stack.post(JSON.stringify(sales))).status).toBe(202);
    const deadline = Date.now() + 30_000;
    while ((await revenueYesterday()) === null) {
      if (Date.now() > deadline) throw new Error("the seeded sales never reached the API");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    browser = await launchChromium();
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it("answers a question with the API's number, its interpretation and its sources", async () => {
    const page = await open(1280);
    await askIn(page, `What was revenue in ${REGION} yesterday?`);
    const answer = page.getByTestId("ask-answer");
    expect(await answer.getAttribute("data-status")).toBe("answered");
    const revenue = (await revenueYesterday())!;
    const money = `$${revenue.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
    await expect.poll(() => answer.textContent()).toContain(money);
    expect(await page.locator(".ask__chip").allTextContents()).toEqual([
      "revenue",
      `region: ${REGION}`,
      yesterday,
    ]);
    await page.locator(".ask__sources summary").click();
    const link = page.getByRole("link", { name: "The same numbers from the API" });
    expect(await link.getAttribute("href")).toBe(
      `/api/v1/query?metrics=revenue&grain=range&from=${yesterday}&to=${yesterday}&region=${REGION}`,
    );
    await page.screenshot({ path: `${ARTIFACTS}/ask-1280.png`, fullPage: false });
    await page.context().close();
  }, 60_000);

  it("refuses a forecast with suggestions, at 360 px", async () => {
    const page = await open(360);
    await askIn(page, "What will revenue be next year?");
    const answer = page.getByTestId("ask-answer");
    expect(await answer.getAttribute("data-status")).toBe("refused");
    expect(await answer.textContent()).toContain("does not forecast");
    expect(await page.locator(".ask__suggestions button").count()).toBeGreaterThan(0);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(360);
    await page.screenshot({ path: `${ARTIFACTS}/ask-360.png`, fullPage: false });
    await page.context().close();
  }, 60_000);
});
