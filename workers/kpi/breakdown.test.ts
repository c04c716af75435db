/**
 * `/api/v1/breakdown` (a metric by a dimension, drill-down to the sales, pagination, sorting) and
 * `/api/v1/export.csv` (the same tables as RFC 4180 CSV: every row equal to the JSON answer's).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { query } from "../test-support.ts";
import { addDays } from "./calendar.ts";
import {
  asCsv,
  type Columnar,
  generateHistory,
  type History,
  loadHistory,
  parseCsv,
  randomFutureDay,
  rowsOf,
  uniqueRegion,
  viewer,
} from "./testing/history.ts";

async function get(path: string): Promise<Columnar> {
  const response = await viewer(path, { "cache-control": "no-cache" });
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json();
}

/** The JSON answer as the CSV should write it: header, then each row's values. */
function asRecords(body: Columnar): string[][] {
  return [
    body.columns.map((c) => c.name),
    ...rowsOf(body).map((r) => body.columns.map((c) => asCsv(r[c.name]))),
  ];
}

async function csv(params: string): Promise<{ records: string[][]; response: Response }> {
  const response = await viewer(`/api/v1/export.csv?${params}`);
  expect(response.status, await response.clone().text()).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/csv/);
  return { records: parseCsv(await response.text()), response };
}

describe("breakdown and export", () => {
  let history: History;
  let range: string;
  const day = (i: number) => addDays(history.start, i);
  const revenueBy = (column: string, where = "") =>
    query<{ member: string; revenue: number; orders: number }>(
      `SELECT ${column} AS member, sum(quantity * unit_price)::float8 AS revenue, count(*)::int AS orders
         FROM silver_sales_clean WHERE region = $1 AND NOT is_deleted AND sale_date BETWEEN $2 AND $3 ${where}
        GROUP BY 1 ORDER BY 1`,
      [history.region, day(-3), day(99)],
    );

  beforeAll(async () => {
    history = generateHistory(uniqueRegion(), randomFutureDay(), 100, 99);
    await loadHistory(history);
    range = `from=${day(-3)}&to=${day(99)}`;
  }, 60_000);

  it("breaks revenue down by region from the slices, with shares", async () => {
    const body = await get(`/api/v1/breakdown?metric=revenue&by=region&${range}&limit=1000`);
    expect(body.meta).toMatchObject({
      by: "region",
      source: "slice",
      drill: { filter: "region", next: "segment" },
    });
    const rows = rowsOf(body);
    const mine = rows.find((r) => r.member === history.region)!;
    const [total] = await revenueBy("region");
    expect(mine.revenue).toBeCloseTo(total!.revenue, 6);
    const sum = rows.reduce((s, r) => s + (r.revenue as number), 0);
    expect(mine.share_pct).toBeCloseTo(((mine.revenue as number) / sum) * 100, 9);
    const values = rows.map((r) => r.revenue as number);
    expect(values).toEqual([...values].sort((a, b) => b - a));
  });

  it("drills region → segment → product → sales, page by page", async () => {
    const [total] = await revenueBy("region");
    const segments = await get(
      `/api/v1/breakdown?metric=revenue&by=segment&region=${history.region}&${range}`,
    );
    expect(segments.meta).toMatchObject({ source: "combo", drill: { filter: "segment", next: "product" } });
    expect(rowsOf(segments)).toEqual([
      { member: "Unknown", label: "Unknown", revenue: expect.closeTo(total!.revenue, 6), share_pct: 100 },
    ]);

    const products = await revenueBy("product_id");
    const base = `/api/v1/breakdown?metric=revenue&by=product&region=${history.region}&segment=Unknown&${range}`;
    const first = await get(`${base}&limit=4&sort=member&order=asc`);
    expect(first.meta).toMatchObject({
      total: products.length,
      next_offset: 4,
      drill: { filter: "product", next: "sale" },
    });
    const second = await get(`${base}&limit=4&offset=4&sort=member&order=asc`);
    expect(second.meta.next_offset).toBeNull();
    expect(
      [...rowsOf(first), ...rowsOf(second)].map((r) => ({ member: r.member, revenue: r.revenue })),
    ).toEqual(products.map((p) => ({ member: p.member, revenue: expect.closeTo(p.revenue, 6) })));
    const byValue = rowsOf(await get(`${base}&limit=100`)).map((r) => r.revenue as number);
    expect(byValue).toEqual([...byValue].sort((a, b) => b - a));

    const product = products[0]!.member;
    const sales = await query<{ sale_id: string; revenue: number }>(
      `SELECT sale_id, (quantity * unit_price)::float8 AS revenue FROM silver_sales_clean
        WHERE region = $1 AND product_id = $2 AND NOT is_deleted AND sale_date BETWEEN $3 AND $4
        ORDER BY quantity * unit_price, sale_id`,
      [history.region, product, day(-3), day(99)],
    );
    const saleBase = `/api/v1/breakdown?by=sale&region=${history.region}&segment=Unknown&product=${product}&${range}&sort=revenue&order=asc`;
    const page1 = await get(`${saleBase}&limit=3`);
    expect(page1.meta).toMatchObject({ by: "sale", total: sales.length, next_offset: 3, drill: null });
    const rest = await get(`${saleBase}&limit=1000&offset=3`);
    expect(
      [...rowsOf(page1), ...rowsOf(rest)].map((r) => ({ sale_id: r.sale_id, revenue: r.revenue })),
    ).toEqual(sales);
    expect(rowsOf(page1)[0]).toMatchObject({
      region: history.region,
      product_id: product,
      segment: "Unknown",
    });
  });

  it("keeps sales without a rep as their own member", async () => {
    const body = await get(
      `/api/v1/breakdown?metric=orders&by=sales_rep&region=${history.region}&${range}&sort=member&order=asc`,
    );
    const wanted = await revenueBy("coalesce(sales_rep_id, '')");
    expect(rowsOf(body).map((r) => [r.member, r.orders])).toEqual(wanted.map((w) => [w.member, w.orders]));
    expect(wanted[0]!.member).toBe("");
  });

  it.each([
    ["daily", `report=daily&region=REGION&RANGE`, `/api/v1/kpis/daily?region=REGION&RANGE`],
    ["advanced", `report=advanced&region=REGION&RANGE`, `/api/v1/kpis/advanced?region=REGION&RANGE`],
    [
      "a query with a comparison",
      `report=query&metrics=revenue,avg_order_value&grain=week&compare=previous_year&region=REGION&RANGE`,
      `/api/v1/query?metrics=revenue,avg_order_value&grain=week&compare=previous_year&region=REGION&RANGE`,
    ],
    [
      "a breakdown",
      `report=breakdown&metric=net_revenue&by=product&region=REGION&RANGE`,
      `/api/v1/breakdown?metric=net_revenue&by=product&region=REGION&RANGE`,
    ],
  ])("exports %s as CSV rows equal to the JSON answer", async (_, csvParams, jsonPath) => {
    const fill = (s: string) => s.replace("REGION", history.region).replace("RANGE", range);
    const { records, response } = await csv(fill(csvParams));
    expect(response.headers.get("content-disposition")).toMatch(/^attachment; filename="pulse-\w+-.*\.csv"$/);
    expect(Date.parse(response.headers.get("x-pulse-as-of")!)).toBeGreaterThan(Date.now() - 60_000);
    expect(records).toEqual(asRecords(await get(fill(jsonPath))));
    expect(records.length).toBeGreaterThan(1);
  });

  it("streams every underlying sale", async () => {
    const { records } = await csv(
      `report=breakdown&by=sale&region=${history.region}&${range}&sort=sale_id&order=asc`,
    );
    const json = await get(
      `/api/v1/breakdown?by=sale&region=${history.region}&${range}&sort=sale_id&order=asc&limit=1000`,
    );
    expect(records).toEqual(asRecords(json));
    const [count] = await query<{ n: number }>(
      "SELECT count(*)::int AS n FROM silver_sales_clean WHERE region = $1 AND NOT is_deleted",
      [history.region],
    );
    expect(records.length - 1).toBe(count!.n);
  });
});
