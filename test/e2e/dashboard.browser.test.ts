/**
 * The dashboard in a real browser (Debian's Chromium) against the real stack, with a seeded
 * dataset of its own (a region no other test uses): the overview shows the API's numbers, a signed
 * webhook moves the revenue tile and the live chart without a reload, filters change the URL and
 * the numbers, the drill-down reaches the sales, the CSV download equals the API, and the page
 * works at 360 px in dark mode. Screenshots go to test-results/.
 */
import { mkdirSync, readFileSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserTestsRun, launchChromium } from "../support/browser.ts";
import { saleEvent } from "../support/events.ts";
import { type Stack, startStack } from "../support/stack.ts";
import { TEST_ADMIN_TOKEN } from "../support/tokens.ts";

const ARTIFACTS = "test-results";
const REGION = `E2E-${crypto.randomUUID().slice(0, 8)}`;
const ELSEWHERE = `${REGION}-elsewhere`;
const SMB = ["c1", "c2"].map((c) => `${REGION}-${c}`);
const ENTERPRISE = ["c3", "c4"].map((c) => `${REGION}-${c}`);
const WIDGET = `${REGION}-widget`;
const GIZMO = `${REGION}-gizmo`;
/** Sales of the widget to SMB customers: more than one page of the sales table (25). */
const WIDGET_SALES = 30;
const GIZMO_SALES = 10;

let stack: Stack;
let browser: Browser;

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
/** The reporting timezone of the test Worker is UTC; the default view is the last 30 days. */
const today = () => day(0);

interface Answer {
  columns: { name: string }[];
  data: unknown[][];
  meta: Record<string, unknown>;
}

async function api(path: string, params: Record<string, string>): Promise<Answer> {
  const url = new URL(path, stack.url);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${stack.viewerToken}`, "cache-control": "no-cache" },
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Answer;
}

const cell = (answer: Answer, name: string, row = 0) =>
  answer.data[answer.columns.findIndex((c) => c.name === name)]?.[row];

function entity(kind: "customer" | "product", payload: Record<string, unknown>) {
  return { event_type: "INSERT", entity: kind, event_timestamp: `${day(-120)}T00:00:00Z`, payload };
}

async function seed(): Promise<void> {
  const events: unknown[] = [
    ...SMB.map((id) => entity("customer", { customer_id: id, customer_segment: "SMB" })),
    ...ENTERPRISE.map((id) => entity("customer", { customer_id: id, customer_segment: "Enterprise" })),
    entity("product", { product_id: WIDGET, product_name: "Widget", category: "Gadgets" }),
    entity("product", { product_id: GIZMO, product_name: "Gizmo", category: "Toys" }),
  ];
  expect((await stack.post(JSON.stringify(events))).status).toBe(202);
  const sales = [
    ...Array.from({ length: WIDGET_SALES }, (_, i) =>
      saleEvent({
        region: REGION,
        customerId: SMB[i % 2],
        productId: WIDGET,
        saleTimestamp: `${day(-1 - (i % 20))}T${String(8 + (i % 10)).padStart(2, "0")}:00:00Z`,
        quantity: 1 + (i % 4),
        unitPrice: 10 + i,
        unitCost: 4,
      }),
    ),
    ...Array.from({ length: GIZMO_SALES }, (_, i) =>
      saleEvent({
        region: REGION,
        customerId: ENTERPRISE[i % 2],
        productId: GIZMO,
        saleTimestamp: `${day(-2 - i)}T12:00:00Z`,
        quantity: 2,
        unitPrice: 50,
        discount: 5,
        unitCost: 20,
      }),
    ),
    // One sale elsewhere, so the whole company's figures differ from the region's even when this
    // file's stack has a database of its own.
    saleEvent({
      region: ELSEWHERE,
      customerId: SMB[0],
      productId: GIZMO,
      saleTimestamp: `${day(-3)}T12:00:00Z`,
      unitPrice: 99,
    }),
  ];
  expect((await stack.post(JSON.stringify(sales))).status).toBe(202);
  // The pipeline is asynchronous: wait until the API counts every seeded sale.
  const deadline = Date.now() + 30_000;
  const orders = async () =>
    cell(await api("/api/v1/query", { metrics: "orders", grain: "range", region: REGION }), "orders");
  while ((await orders()) !== WIDGET_SALES + GIZMO_SALES) {
    if (Date.now() > deadline) throw new Error("the seeded sales never all reached the API");
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const dataValue = async (page: Page, testId: string) =>
  Number(await page.getByTestId(testId).first().getAttribute("data-value"));

/** A signed-in page (through the `#token=` link) showing `search`, once the live room answered. */
async function open(
  search = "",
  options: { width?: number; dark?: boolean; token?: string } = {},
): Promise<{ page: Page; context: BrowserContext }> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: 900 },
    colorScheme: options.dark ? "dark" : "light",
    acceptDownloads: true,
  });
  const page = await context.newPage();
  await page.goto(`${stack.url.origin}/${search}#token=${options.token ?? stack.viewerToken}`);
  await expect.poll(() => page.getByTestId("connection").textContent(), { timeout: 10_000 }).toMatch(/live/i);
  return { page, context };
}

const TILES = [
  ["tile-revenue", "revenue"],
  ["tile-net-revenue", "net_revenue"],
  ["tile-orders", "orders"],
  ["tile-customers", "unique_customers"],
  ["tile-aov", "avg_order_value"],
  ["tile-margin", "profit_margin_pct"],
] as const;

/**
 * Every tile's value and change equal the API's whole-range answer for the same view. The
 * unique-customers tile comes after the first screen (a request of its own), hence the e2e default
 * of 10 s rather than 2.
 */
async function expectTilesToMatchApi(
  page: Page,
  params: Record<string, string>,
  compare = "previous_period",
  timeout = 10_000,
) {
  const totals = await api("/api/v1/query", {
    metrics: TILES.map(([, m]) => m).join(","),
    grain: "range",
    compare,
    ...params,
  });
  for (const [testId, metric] of TILES) {
    const wanted = cell(totals, metric) as number | null;
    await expect
      .poll(() => dataValue(page, testId), { message: testId, timeout })
      .toBeCloseTo(wanted ?? Number.NaN, 6);
    const change = cell(totals, `${metric}_change_pct`) as number | null;
    const shown = await page.getByTestId(`${testId}-change`).getAttribute("data-value");
    if (change === null) {
      expect(shown, `${testId} change`).toBeNull();
      // Said in words, not a bare dash.
      const period = compare === "previous_year" ? "same period last year" : "previous period";
      expect(await page.getByTestId(`${testId}-change`).textContent()).toBe(
        `nothing to compare in the ${period}`,
      );
    } else expect(Number(shown), `${testId} change`).toBeCloseTo(change, 6);
  }
}

describe.runIf(browserTestsRun())("dashboard", () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    [stack, browser] = await Promise.all([startStack(), launchChromium()]);
    await seed();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it("signs in with the viewer token; the overview shows the API's numbers, flags and anomalies", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${stack.url.origin}/?region=${REGION}`);
    // A visitor who never signed in gets the form, not a "session ended" notice.
    await page.getByLabel("Viewer token").waitFor();
    expect(await page.getByRole("alert").count()).toBe(0);
    await page.getByLabel("Viewer token").fill(stack.viewerToken);
    await page.keyboard.press("Enter");
    await expect
      .poll(() => page.getByTestId("connection").textContent(), { timeout: 10_000 })
      .toMatch(/live/i);

    const params = { from: day(-29), to: today(), region: REGION };
    await expectTilesToMatchApi(page, params);

    // The seed's flags of the last complete day (the range ends today, which is under way), in words.
    const daily = await api("/api/v1/kpis/daily", params);
    const dates = daily.data[daily.columns.findIndex((c) => c.name === "date")] as string[];
    const last = dates.at(-1) === today() ? dates.length - 2 : dates.length - 1;
    const volatility = page.locator('[data-testid="tile-revenue-card"] [data-flag="volatility"]');
    expect(await volatility.getAttribute("data-code")).toBe(cell(daily, "volatility_flag", last));
    const performance = page.locator('[data-testid="tile-revenue-card"] [data-flag="performance"]');
    expect(await performance.getAttribute("data-code")).toBe(cell(daily, "performance_flag", last));

    // Anomaly markers: as many as the API flags, and hovering shows a day's numbers.
    const advanced = await api("/api/v1/kpis/advanced", params);
    const anomalies = (
      advanced.data[advanced.columns.findIndex((c) => c.name === "is_anomaly")] ?? []
    ).filter((v) => v === true).length;
    const chart = page.getByTestId("revenue-chart");
    expect(Number(await chart.getAttribute("data-anomalies"))).toBe(anomalies);
    const plot = chart.locator(".u-over");
    const box = (await plot.boundingBox())!;
    await plot.hover({ position: { x: box.width - 4, y: box.height / 2 } });
    await expect.poll(() => chart.getByTestId("chart-tooltip").textContent()).toMatch(/Revenue.*z-score/);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-1280.png`, fullPage: true });
    await context.close();
  });

  it("moves the revenue tile and the live chart within 2 s of a signed webhook, without a reload", async () => {
    const { page, context } = await open();
    await expectTilesToMatchApi(page, { from: day(-29), to: today() });
    const live = page.getByTestId("live-chart");
    const revenue = await dataValue(page, "tile-revenue");
    const lastHour = Number(await live.getAttribute("data-total"));
    expect(Number(await live.getAttribute("data-points"))).toBe(60);
    // Live frames feed the existing charts (setData): the canvas drawn on stays the same element.
    await page.locator('[data-testid="live-chart"][data-plotted] canvas').waitFor();
    await page.evaluate(() => {
      const canvas = document.querySelector('[data-testid="live-chart"] canvas');
      if (canvas) (canvas as HTMLCanvasElement & { pulseMark?: boolean }).pulseMark = true;
    });

    const response = await stack.post(
      JSON.stringify(saleEvent({ quantity: 3, unitPrice: 10, region: REGION })),
    );
    expect(response.status).toBe(202);
    // "Within 2 s without a reload" is the promise to executives; the bench measures the real figure.
    await expect
      .poll(() => dataValue(page, "tile-revenue"), { timeout: 2_000, interval: 25 })
      .toBeCloseTo(revenue + 30, 2);
    await expect
      .poll(async () => Number(await live.getAttribute("data-total")), { timeout: 2_000, interval: 25 })
      .toBeCloseTo(lastHour + 30, 2);
    expect(Number(await live.getAttribute("data-latest"))).toBeGreaterThanOrEqual(30);
    const measures = await page.evaluate(() => performance.getEntriesByName("pulse:live-update").length);
    expect(measures).toBeGreaterThan(0);
    const sameCanvas = await page.evaluate(
      () =>
        (document.querySelector('[data-testid="live-chart"] canvas') as { pulseMark?: boolean } | null)
          ?.pulseMark === true,
    );
    expect(sameCanvas).toBe(true);
    // Unique customers can't be folded in live; the next API answer (a few seconds later) brings
    // them, and then every figure equals the API again.
    await expectTilesToMatchApi(page, { from: day(-29), to: today() }, "previous_period", 10_000);
    await context.close();
  });

  it("puts filters in the URL and shows the numbers of the filtered view", async () => {
    const { page, context } = await open();
    let sockets = 0;
    page.on("websocket", () => {
      sockets += 1;
    });
    const everything = await dataValue(page, "tile-revenue");
    await page.getByTestId("filter-region").selectOption(REGION);
    await expect.poll(() => new URL(page.url()).searchParams.get("region")).toBe(REGION);
    await expectTilesToMatchApi(page, { from: day(-29), to: today(), region: REGION });
    expect(await dataValue(page, "tile-revenue")).not.toBeCloseTo(everything, 2);

    // The filtered view is live too: re-subscribed on the same socket, it moves with the region's sales.
    const filtered = await dataValue(page, "tile-revenue");
    await stack.post(JSON.stringify(saleEvent({ quantity: 7, unitPrice: 10, region: REGION })));
    await expect
      .poll(() => dataValue(page, "tile-revenue"), { timeout: 2_000, interval: 25 })
      .toBeCloseTo(filtered + 70, 2);
    expect(sockets).toBe(0);

    await page.getByTestId("range").selectOption("7d");
    await page.getByTestId("compare").selectOption("previous_year");
    await expect.poll(() => new URL(page.url()).searchParams.get("range")).toBe("7d");
    expect(new URL(page.url()).searchParams.get("compare")).toBe("previous_year");
    await expectTilesToMatchApi(page, { from: day(-6), to: today(), region: REGION }, "previous_year");

    // The URL alone reproduces the view.
    const shared = await context.newPage();
    await shared.goto(page.url());
    await expect.poll(() => shared.getByTestId("range").inputValue()).toBe("7d");
    await expectTilesToMatchApi(shared, { from: day(-6), to: today(), region: REGION }, "previous_year");

    // A custom range, typed into the date fields.
    await shared.getByTestId("range").selectOption("custom");
    await shared.getByLabel("From", { exact: true }).fill(day(-12));
    await shared.getByLabel("To", { exact: true }).fill(day(-3));
    await expect.poll(() => new URL(shared.url()).searchParams.get("to")).toBe(day(-3));
    expect(new URL(shared.url()).searchParams.get("from")).toBe(day(-12));
    await expectTilesToMatchApi(shared, { from: day(-12), to: day(-3), region: REGION }, "previous_year");
    await context.close();
  });

  it("drills from a region bar to segments, products and the sales table, and back", async () => {
    const { page, context } = await open();
    const drill = page.getByTestId("drill");
    await drill.locator(`[data-testid="drill-bar"][data-member="${REGION}"]`).click();
    // Keyboard: focus lands on the panel's heading, Tab walks on (CSV link, "All", the first bar:
    // SMB, the largest segment) and Enter opens it.
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("drill-title");
    await expect.poll(() => drill.locator('[data-testid="drill-bar"][data-member="SMB"]').count()).toBe(1);
    for (let i = 0; i < 3; i++) await page.keyboard.press("Tab");
    expect(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.member)).toBe(
      "SMB",
    );
    await page.keyboard.press("Enter");
    await drill.locator(`[data-testid="drill-bar"][data-member="${WIDGET}"]`).click();

    const table = page.getByTestId("sales-table");
    await expect.poll(() => table.getByTestId("sale-row").count()).toBe(25);
    const sales = await api("/api/v1/breakdown", {
      by: "sale",
      from: day(-29),
      to: today(),
      region: REGION,
      segment: "SMB",
      product: WIDGET,
      limit: "1000",
    });
    expect(sales.meta.total).toBe(WIDGET_SALES);
    await expect.poll(() => page.getByTestId("sales-range").textContent()).toMatch(/1–25 of 30/);
    await drill.getByRole("button", { name: "Next" }).click();
    await expect.poll(() => table.getByTestId("sale-row").count()).toBe(5);

    // Sorted by revenue, largest first: the API's largest sale leads.
    await table.getByTestId("sort-revenue").click();
    const top = Math.max(...(sales.data[sales.columns.findIndex((c) => c.name === "revenue")] as number[]));
    await expect
      .poll(() =>
        table.locator('[data-testid="sale-row"]').first().locator('[data-column="sale_id"]').textContent(),
      )
      .toBe(
        (sales.data[0] as string[])[
          (sales.data[sales.columns.findIndex((c) => c.name === "revenue")] as number[]).indexOf(top)
        ],
      );

    // The path is in the URL: the drilled view can be shared, and Back goes up a level.
    expect(new URL(page.url()).searchParams.getAll("drill")).toEqual([
      `region:${REGION}`,
      "segment:SMB",
      `product:${WIDGET}`,
    ]);
    const shared = await context.newPage();
    await shared.goto(page.url());
    await expect.poll(() => shared.getByTestId("sale-row").count()).toBe(25);
    await shared.close();
    await page.goBack();
    await expect
      .poll(() => drill.locator(`[data-testid="drill-bar"][data-member="${WIDGET}"]`).count())
      .toBe(1);

    // Breadcrumbs lead back up.
    await expect.poll(() => page.getByTestId("breadcrumbs").textContent()).toContain("SMB");
    await page.getByTestId("breadcrumbs").getByRole("button", { name: REGION }).click();
    await expect.poll(() => drill.locator('[data-testid="drill-bar"][data-member="SMB"]').count()).toBe(1);
    await context.close();
  });

  it("exports the current view as CSV equal to the API's rows, and any chart as PNG", async () => {
    const { page, context } = await open(`?range=7d&region=${REGION}`);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByTestId("export-csv").click(),
    ]);
    const csv = readFileSync((await download.path())!, "utf8")
      .trim()
      .split(/\r?\n/);
    const daily = await api("/api/v1/kpis/daily", { from: day(-6), to: today(), region: REGION });
    expect(csv[0]).toBe(daily.columns.map((c) => c.name).join(","));
    const rows = csv.slice(1).map((line) => line.split(","));
    expect(rows).toHaveLength(daily.data[0]!.length);
    rows.forEach((row, r) => {
      row.forEach((text, c) => {
        const value = daily.data[c]![r];
        if (value === null) expect(text).toBe("");
        else if (typeof value === "number") expect(Number(text)).toBeCloseTo(value, 9);
        else expect(text).toBe(String(value));
      });
    });

    const chart = page.getByTestId("revenue-chart");
    const [png] = await Promise.all([
      page.waitForEvent("download"),
      chart.getByRole("button", { name: /PNG/ }).click(),
    ]);
    expect(png.suggestedFilename()).toBe("pulse-revenue-per-day.png");
    const bytes = readFileSync((await png.path())!);
    expect(bytes.subarray(1, 4).toString()).toBe("PNG");
    await context.close();
  });

  it("shows data health to viewers and admin controls to admins only", async () => {
    const invalid = saleEvent({ region: REGION, quantity: -2 });
    await stack.post(JSON.stringify([invalid, saleEvent({ region: REGION })]));
    await expect
      .poll(
        async () => {
          const response = await fetch(new URL("/api/v1/pipeline/health", stack.url), {
            headers: { authorization: `Bearer ${stack.viewerToken}` },
          });
          const health = (await response.json()) as { sources: { name: string; quarantined: number }[] };
          return health.sources.find((s) => s.name === stack.source.name)?.quarantined;
        },
        { timeout: 15_000 },
      )
      .toBe(1);

    const viewer = await open();
    const row = viewer.page.getByTestId("health-sources").locator(`tr[data-source="${stack.source.name}"]`);
    await expect
      .poll(() => row.locator('[data-column="quarantined"]').textContent(), { timeout: 10_000 })
      .toBe("1");
    // The row is the source's ledger: once nothing is in flight, what it accepted is accounted for.
    const cell = async (column: string) =>
      Number((await row.locator(`[data-column="${column}"]`).textContent())?.replace(/\D/g, ""));
    await expect.poll(() => cell("in_flight"), { timeout: 15_000 }).toBe(0);
    const accounted =
      (await cell("stored")) +
      (await cell("quarantined")) +
      (await cell("unmapped")) +
      (await cell("dead_lettered"));
    expect(accounted).toBe(await cell("accepted"));
    expect(await cell("stored")).toBeGreaterThan(0);
    await expect.poll(() => viewer.page.getByTestId("freshness").textContent()).toMatch(/as of \d+s ago/);
    expect(await viewer.page.getByTestId("health-connection").textContent()).toBe("live");
    expect(await viewer.page.getByTestId("pipeline-lag").textContent()).toMatch(/\d\sms/);
    expect(await viewer.page.getByTestId("admin-controls").count()).toBe(0);
    await viewer.context.close();

    const admin = await open("", { token: TEST_ADMIN_TOKEN });
    await expect.poll(() => admin.page.getByTestId("admin-controls").count()).toBe(1);
    await admin.context.close();
  });

  it("works at 360 px and in dark mode, and on a 4K screen", async () => {
    const { page, context } = await open(`?region=${REGION}`, { width: 360, dark: true });
    // The figures come with the API's answers, a moment after the socket: wait for them.
    await expect
      .poll(() => page.getByTestId("tile-revenue").getAttribute("data-value"), { timeout: 10_000 })
      .not.toBeNull();
    await expect.poll(() => page.getByTestId("chart-orders").count(), { timeout: 10_000 }).toBe(1);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const brightness = async () => {
      const colour = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
      const [r = 0, g = 0, b = 0] = colour.match(/\d+/g)?.map(Number) ?? [];
      return (r + g + b) / 3;
    };
    expect(await brightness()).toBeLessThan(80);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-360-dark.png`, fullPage: true });
    // The theme toggle overrides the system preference: automatic (dark here) → light.
    await page.getByRole("button", { name: /Theme: automatic/ }).click();
    await expect.poll(brightness).toBeGreaterThan(200);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-360-light.png`, fullPage: true });
    await context.close();

    const large = await open(`?region=${REGION}`, { width: 3840 });
    await expect.poll(() => large.page.getByTestId("chart-orders").count(), { timeout: 10_000 }).toBe(1);
    expect(await large.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBe(0);
    await large.page.screenshot({ path: `${ARTIFACTS}/dashboard-3840.png` });
    await large.context.close();
  });
});
