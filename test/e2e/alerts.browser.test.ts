/**
 * Alerts in a real browser against the real stack: a rule watching a region no other test uses
 * fires on sales posted to the webhook (room → queue → incident), and the dashboard shows it — the
 * banner, the panel's "firing now" card, a marker on the live chart — and acknowledges it; the
 * admin's rule editor (loaded on demand) replays a draft rule on history and draws the preview with
 * its would-have-fired marks, saves it and disables it. At 1280 px and at 360 px (nothing wider
 * than the phone). Screenshots go to test-results/.
 */
import { mkdirSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserTestsRun, launchChromium } from "../support/browser.ts";
import { saleEvent } from "../support/events.ts";
import { type Stack, startStack } from "../support/stack.ts";
import { TEST_ADMIN_TOKEN } from "../support/tokens.ts";

const ARTIFACTS = "test-results";
const TAG = crypto.randomUUID().slice(0, 6);
const REGION = `ALRT${TAG.toUpperCase()}`;
const RULE = `e2e-alert-${TAG}`;
const DRAFT = `e2e-draft-${TAG}`;

let stack: Stack;
let browser: Browser;
let alertId: string;

interface ApiIncident {
  alert_id: string;
  rule_id: string;
  status: string;
  acknowledged_at: string | null;
}

const admin = (path: string, init: RequestInit = {}) =>
  fetch(new URL(path, stack.url), {
    ...init,
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "content-type": "application/json" },
  });

async function incidentOf(rule: string): Promise<ApiIncident | undefined> {
  const body = (await (await admin("/api/v1/alerts")).json()) as { alerts: ApiIncident[] };
  return body.alerts.find((a) => a.rule_id === rule);
}

async function open(width: number): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${stack.url.origin}/#token=${TEST_ADMIN_TOKEN}`);
  await page.getByTestId("alerts-panel").waitFor({ timeout: 20_000 });
  return page;
}

describe.runIf(browserTestsRun())("alerts on the dashboard", () => {
  beforeAll(async () => {
    stack = await startStack();
    // Revenue of the region above 100 in the trailing hour: fires on the first breaching update.
    const put = await admin(`/api/v1/alerts/rules/${RULE}`, {
      method: "PUT",
      body: JSON.stringify({
        name: `Big hour in ${REGION}`,
        metric: "revenue",
        filters: { region: REGION },
        condition: { type: "threshold", grain: "hour", op: ">", value: 100 },
        for_updates: 1,
        min_volume: 0,
      }),
    });
    expect(put.status).toBe(201);
    // Some history for the region (two and three days ago), for the editor's preview to replay.
    const past = [50, 74].map((hoursAgo, i) =>
      saleEvent({
        region: REGION,
        customerId: `${REGION}-old${i}`,
        unitPrice: 80,
        saleTimestamp: new Date(Date.now() - hoursAgo * 3_600_000).toISOString(),
      }),
    );
    expect((await stack.post(JSON.stringify(past))).status).toBe(202);
    // The room loads its rules in the background: keep posting sales until the incident is recorded.
    const deadline = Date.now() + 60_000;
    for (let i = 0; ; i++) {
      const sale = saleEvent({
        region: REGION,
        customerId: `${REGION}-c${i % 3}`,
        unitPrice: 60,
        quantity: 1,
      });
      expect((await stack.post(JSON.stringify([sale]))).status).toBe(202);
      const incident = await incidentOf(RULE);
      if (incident?.status === "firing") {
        alertId = incident.alert_id;
        break;
      }
      if (Date.now() > deadline) throw new Error("the rule never fired on the posted sales");
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    browser = await launchChromium();
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    if (stack) {
      for (const id of [RULE, DRAFT]) await admin(`/api/v1/alerts/rules/${id}`, { method: "DELETE" });
      // Leave no firing incident behind for the dashboards of other suites sharing the database.
      await stack.query("DELETE FROM alert_incidents WHERE rule_id = ANY($1)", [[RULE, DRAFT]]);
      await stack.close();
    }
  });

  it("shows the firing alert in the banner, the panel and on the live chart, and acknowledges it", async () => {
    const page = await open(1280);
    const banner = page.getByTestId("alert-banner");
    await banner.waitFor({ timeout: 15_000 });
    expect(await banner.textContent()).toContain("Alert firing");
    const card = page.locator(`[data-testid="alert"][data-alert-id="${alertId}"]`);
    await card.waitFor();
    expect(await card.getAttribute("data-status")).toBe("firing");
    expect(await card.textContent()).toContain(`Big hour in ${REGION}`);
    expect(await card.textContent()).toContain(`region ${REGION}`);

    // The incident's start is within the live chart's hour: a marker line over the plot.
    const marker = page.locator(
      `[data-testid="live-chart"] [data-testid="chart-marker"][data-alert-id="${alertId}"]`,
    );
    await marker.waitFor({ timeout: 15_000 });
    expect(await marker.getAttribute("data-kind")).toBe("start");
    const box = await marker.boundingBox();
    const plot = await page.locator('[data-testid="live-chart"] .chart__plot').boundingBox();
    expect(box && plot && box.x >= plot.x && box.x <= plot.x + plot.width).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}/alerts-firing-1280.png`, fullPage: false });

    await card.getByTestId("alert-ack").click();
    await card.getByTestId("alert-acknowledged").waitFor();
    expect(await card.getAttribute("data-acknowledged")).toBe("true");
    expect((await incidentOf(RULE))?.acknowledged_at).not.toBeNull();
    // Everything firing is acknowledged now: the banner stays, quieter.
    await expect.poll(() => banner.getAttribute("data-acknowledged")).toBe("true");
    await page.context().close();
  }, 60_000);

  it("lets an admin preview a draft rule as a plot with its would-have-fired marks, save and disable it", async () => {
    const page = await open(1280);
    await page.getByTestId("rules-open").click();
    await page.getByTestId("rule-editor").waitFor({ timeout: 15_000 });
    await page.getByTestId("rule-new").click();
    const form = page.getByTestId("rule-form");

    // Saving an incomplete rule says what to fix, and sends nothing.
    await page.getByTestId("rule-save").click();
    expect(await form.locator(".form-error").count()).toBeGreaterThan(0);

    await form.locator('input[name="id"]').fill(DRAFT);
    await form.locator('input[name="name"]').fill(`Draft for ${REGION}`);
    await form.locator('select[name="scope"]').selectOption("one");
    await form.locator('input[name="member"]').fill(REGION);
    await form.locator('select[name="type"]').selectOption("threshold");
    await form.locator('select[name="op"]').selectOption(">");
    await form.locator('input[name="value"]').fill("1");
    await form.locator('input[name="for_updates"]').fill("1");

    await page.getByTestId("rule-preview").click();
    const preview = page.getByTestId("rule-preview-result");
    await preview.waitFor({ timeout: 30_000 });
    const chart = page.getByTestId("rule-preview-chart");
    expect(Number(await chart.getAttribute("data-drawn"))).toBeGreaterThan(0);
    // The plot (and its markers) is built just after the chart shows.
    await page.locator('[data-testid="rule-preview-chart"][data-plotted]').waitFor();
    // The sales of two and three days ago push the region's hour above 1: the replay fires, marked.
    expect(Number(await preview.getAttribute("data-fired"))).toBeGreaterThan(0);
    expect(await chart.locator('[data-testid="chart-marker"][data-kind="start"]').count()).toBeGreaterThan(0);
    // Previewing saved nothing.
    expect((await admin(`/api/v1/alerts/rules/${DRAFT}`)).status).toBe(404);
    await page.getByTestId("alerts-panel").screenshot({ path: `${ARTIFACTS}/alerts-editor-1280.png` });

    await page.getByTestId("rule-save").click();
    const row = page.locator(`[data-rule-id="${DRAFT}"]`);
    await row.waitFor({ timeout: 15_000 });
    expect(await row.getAttribute("data-enabled")).toBe("true");
    const saved = (await (await admin(`/api/v1/alerts/rules/${DRAFT}`)).json()) as Record<string, unknown>;
    expect(saved.filters).toEqual({ region: REGION });
    expect(saved.condition).toEqual({ type: "threshold", grain: "hour", op: ">", value: 1 });

    await row.getByRole("button", { name: /Disable/ }).click();
    await expect.poll(() => row.getAttribute("data-enabled"), { timeout: 15_000 }).toBe("false");
    expect(
      ((await (await admin(`/api/v1/alerts/rules/${DRAFT}`)).json()) as { enabled: boolean }).enabled,
    ).toBe(false);
    await page.context().close();
  }, 90_000);

  it("fits a 360 px phone: banner, panel and editor without sideways scrolling", async () => {
    const page = await open(360);
    await page.getByTestId("alert-banner").waitFor({ timeout: 15_000 });
    await page.locator(`[data-testid="alert"][data-alert-id="${alertId}"]`).waitFor();
    await page.getByTestId("rules-open").click();
    await page.getByTestId("rule-new").click();
    await page.getByTestId("rule-form").waitFor();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(360);
    await page.getByTestId("alerts-panel").scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${ARTIFACTS}/alerts-360.png`, fullPage: false });
    await page.context().close();
  }, 60_000);
});
