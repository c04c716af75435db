/**
 * `/api/v1/query` and `/api/v1/model`: every metric read from the slices equals the same metric
 * computed from silver; coarser grains and hours equal plain SQL over silver; comparisons line up
 * with the comparison range queried on its own.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { withDb } from "../db/client.ts";
import { query } from "../test-support.ts";
import { addDays } from "./calendar.ts";
import { GRAINS, metric } from "./model.ts";
import type { Filters } from "./params.ts";
import { readSeries } from "./store.ts";
import {
  ALL_METRICS,
  type Columnar,
  generateHistory,
  type History,
  loadHistory,
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

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function close(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number")
    return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
  return a === b;
}

describe("query", () => {
  let history: History;
  const day = (i: number) => addDays(history.start, i);

  beforeAll(async () => {
    history = generateHistory(uniqueRegion(), randomFutureDay(), 100, 7);
    await loadHistory(history);
  }, 60_000);

  it("describes every metric, dimension and grain in the catalogue", async () => {
    const response = await viewer("/api/v1/model");
    expect(response.status).toBe(200);
    const model = (await response.json()) as {
      metrics: { name: string; synonyms: string[]; unit: string; label: string }[];
      dimensions: { name: string }[];
      grains: { name: string }[];
      currency: string;
      timezone: string;
    };
    expect(model.metrics.map((m) => m.name)).toEqual(ALL_METRICS);
    expect(model.dimensions.map((d) => d.name)).toEqual([
      "region",
      "segment",
      "category",
      "sales_rep",
      "product",
    ]);
    expect(model.grains.map((g) => g.name)).toEqual([
      "minute",
      "hour",
      "day",
      "week",
      "month",
      "quarter",
      "fiscal_quarter",
      "year",
      "range",
    ]);
    for (const m of model.metrics) expect(m.synonyms.length).toBeGreaterThan(0);
    expect(model).toMatchObject({ currency: "USD", timezone: "UTC" });
  });

  it("reads every metric from the slices and the combinations exactly as silver computes it", async () => {
    const range = `from=${day(-5)}&to=${day(102)}&metrics=${ALL_METRICS.join(",")}&grain=day`;
    const fromSlices = await get(`/api/v1/query?${range}&region=${history.region}`);
    // Every product of this history is unknown to the pipeline (category "Unknown"): the same sales.
    const fromCombos = await get(`/api/v1/query?${range}&region=${history.region}&category=Unknown`);
    expect(fromSlices.meta.source).toBe("slice");
    expect(fromCombos.meta.source).toBe("combo");
    // The same request compiled for silver, run as the API would.
    const request = {
      metrics: ALL_METRICS.map(metric),
      grain: GRAINS.get("day")!,
      filters: [["region", history.region]] as Filters,
      range: { from: day(-5), to: day(102) },
      timeZone: "UTC",
    };
    const b = await withDb(env, (db) => readSeries(db, request, { kind: "silver" }));
    const a = rowsOf(fromSlices);
    expect(a).toHaveLength(108);
    for (const [name, rows] of [
      ["slices", a],
      ["combinations", rowsOf(fromCombos)],
    ] as const) {
      const differences = rows.flatMap((row, i) =>
        ALL_METRICS.filter((m) => !close(row[m], num(b[i]![m]))).map(
          (m) => `${row.period} ${m}: ${name} ${row[m]}, silver ${b[i]![m]}`,
        ),
      );
      expect(differences).toEqual([]);
    }
    // Days without sales: zeros for sums and counts, null for ratios and percentiles.
    const empty = a.find((r) => r.orders === 0)!;
    expect(empty).toMatchObject({
      revenue: 0,
      unique_customers: 0,
      avg_order_value: null,
      median_order_value: null,
    });
    // Each customer is new exactly once.
    const customers = await query<{ n: number }>(
      "SELECT count(DISTINCT customer_id)::int AS n FROM silver_sales_clean WHERE region = $1 AND NOT is_deleted",
      [history.region],
    );
    expect(a.reduce((n, r) => n + (r.new_customers as number), 0)).toBe(customers[0]!.n);
  });

  it("buckets months, ISO weeks, fiscal quarters and years like SQL over silver", async () => {
    for (const [grain, trunc] of [
      ["month", "month"],
      ["week", "week"],
      ["quarter", "quarter"],
      ["fiscal_quarter", "quarter"], // the migrations' fiscal year starts in January
      ["year", "year"],
    ] as const) {
      const from = day(-3);
      const to = day(99);
      const body = await get(
        `/api/v1/query?metrics=revenue,orders,unique_customers,median_order_value&grain=${grain}&from=${from}&to=${to}&region=${history.region}`,
      );
      const wanted = await query<Record<string, unknown>>(
        `SELECT to_char(date_trunc('${trunc}', s.sale_date), 'YYYY-MM-DD') AS period,
                sum(s.quantity * s.unit_price)::float8 AS revenue, count(*)::int AS orders,
                count(DISTINCT s.customer_id)::int AS unique_customers,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY s.quantity * s.unit_price) AS median_order_value
           FROM silver_sales_clean s
          WHERE s.region = $1 AND NOT s.is_deleted AND s.sale_date BETWEEN $2 AND $3 GROUP BY 1 ORDER BY 1`,
        [history.region, from, to],
      );
      const rows = rowsOf(body).filter((r) => (r.orders as number) > 0);
      // The first bucket starts before `from` when `from` is mid-bucket; its period is still the bucket's start.
      expect(
        rows.map((r) => ({
          period: r.period,
          revenue: r.revenue,
          orders: r.orders,
          unique_customers: r.unique_customers,
          median_order_value: r.median_order_value,
        })),
        grain,
      ).toEqual(
        wanted.map((w) => ({
          ...w,
          revenue: expect.closeTo(w.revenue as number, 6),
          median_order_value: expect.closeTo(w.median_order_value as number, 9),
        })),
      );
      if (grain === "week") expect(rowsOf(body)[0]!.label).toMatch(/^\d{4}-W\d{2}$/);
      if (grain === "fiscal_quarter") expect(rowsOf(body)[0]!.label).toMatch(/^FY\d{4}-Q[1-4]$/);
    }
  });

  it("answers the whole range as one bucket, compared like any other", async () => {
    const from = day(10);
    const to = day(70);
    const body = await get(
      `/api/v1/query?metrics=revenue,orders,unique_customers,median_order_value&grain=range&from=${from}&to=${to}&region=${history.region}&compare=previous_period`,
    );
    const [wanted] = await query<Record<string, number>>(
      `SELECT sum(s.quantity * s.unit_price)::float8 AS revenue, count(*)::int AS orders,
              count(DISTINCT s.customer_id)::int AS unique_customers,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY s.quantity * s.unit_price) AS median_order_value
         FROM silver_sales_clean s WHERE s.region = $1 AND NOT s.is_deleted AND s.sale_date BETWEEN $2 AND $3`,
      [history.region, from, to],
    );
    const rows = rowsOf(body);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      period: from,
      label: `${from}/${to}`,
      revenue: expect.closeTo(wanted!.revenue!, 6),
      orders: wanted!.orders,
      unique_customers: wanted!.unique_customers,
      median_order_value: expect.closeTo(wanted!.median_order_value!, 9),
      compare_period: addDays(from, -61),
    });
    const before = rowsOf(
      await get(
        `/api/v1/query?metrics=orders&grain=range&from=${addDays(from, -61)}&to=${addDays(from, -1)}&region=${history.region}`,
      ),
    );
    expect(rows[0]!.orders_previous).toBe(before[0]!.orders);
    // A range without sales, read from silver (distinct customers span days): the empty values.
    const empty = rowsOf(
      await get(
        `/api/v1/query?metrics=revenue,orders,unique_customers,median_order_value&grain=range&from=${addDays(history.start, -3000)}&to=${addDays(history.start, -2970)}&region=${history.region}`,
      ),
    );
    expect(empty).toEqual([
      expect.objectContaining({ revenue: 0, orders: 0, unique_customers: 0, median_order_value: null }),
    ]);
  });

  it("splits a day into 24 dense hours in the reporting timezone", async () => {
    const [busiest] = await query<{ day: string; revenue: number }>(
      `SELECT sale_date::text AS day, sum(quantity * unit_price)::float8 AS revenue FROM silver_sales_clean
        WHERE region = $1 AND NOT is_deleted GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`,
      [history.region],
    );
    const body = await get(
      `/api/v1/query?metrics=revenue,orders&grain=hour&from=${busiest!.day}&to=${busiest!.day}&region=${history.region}`,
    );
    const rows = rowsOf(body);
    expect(rows).toHaveLength(24);
    expect(rows[0]!.period).toBe(`${busiest!.day}T00:00`);
    expect(body.columns[0]).toEqual({ name: "period", type: "timestamp" });
    const hours = await query<{ period: string; revenue: number }>(
      `SELECT to_char(date_trunc('hour', sale_timestamp AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24:00') AS period,
              sum(quantity * unit_price)::float8 AS revenue
         FROM silver_sales_clean WHERE region = $1 AND NOT is_deleted AND sale_date = $2 GROUP BY 1 ORDER BY 1`,
      [history.region, busiest!.day],
    );
    expect(
      rows.filter((r) => (r.orders as number) > 0).map((r) => ({ period: r.period, revenue: r.revenue })),
    ).toEqual(hours);
    expect(rows.reduce((s, r) => s + (r.revenue as number), 0)).toBeCloseTo(busiest!.revenue, 6);
  });

  it("compares with the previous period and the previous year, bucket by bucket", async () => {
    const base = `metrics=revenue,orders&grain=day&region=${history.region}`;
    const now = await get(`/api/v1/query?${base}&from=${day(50)}&to=${day(59)}&compare=previous_period`);
    const before = rowsOf(await get(`/api/v1/query?${base}&from=${day(40)}&to=${day(49)}`));
    expect(now.meta).toMatchObject({
      compare: "previous_period",
      compare_from: day(40),
      compare_to: day(49),
    });
    rowsOf(now).forEach((row, i) => {
      expect(row.compare_period).toBe(before[i]!.period);
      expect(row.revenue_previous).toBe(before[i]!.revenue);
      expect(row.orders_previous).toBe(before[i]!.orders);
      const was = before[i]!.revenue as number;
      const change = was === 0 ? null : (((row.revenue as number) - was) / was) * 100;
      expect(row.revenue_change_pct).toBe(change);
    });

    const lastYear = rowsOf(
      await get(`/api/v1/query?${base}&from=${day(50)}&to=${day(51)}&compare=previous_year`),
    );
    const [{ shifted }] = (await query<{ shifted: string }>(
      "SELECT ($1::date - interval '1 year')::date::text AS shifted",
      [day(50)],
    )) as [{ shifted: string }];
    expect(lastYear[0]).toMatchObject({
      compare_period: shifted,
      revenue_previous: 0,
      revenue_change_pct: null,
    });
  });
});
