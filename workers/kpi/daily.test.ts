/**
 * `/kpis/daily` and `/kpis/advanced` against an independent computation: plain SQL over the live
 * sales in silver, written straight from the definitions (generate_series for the dense
 * calendar, window functions over all history, NTILE over the returned range) — no code shared
 * with the API. Silver itself is first checked against the events, resolved independently in TS.
 * The history has updates, deletes, gaps, late events and ties (see `testing/history.ts`).
 *
 * Long because the independent computation lives here, beside the tests it checks, written from the
 * definitions rather than shared with the code under test.
 */
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { TEST_ADMIN_TOKEN } from "../../test/support/tokens.ts";
import { type Db, withDb } from "../db/client.ts";
import { createSource, eventually, postSigned, query } from "../test-support.ts";
import { addDays } from "./calendar.ts";
import type { Params } from "./params.ts";
import { breakdownReport } from "./reports/breakdown.ts";
import { dailyReport } from "./reports/daily.ts";
import { queryReport } from "./reports/query.ts";
import { type Report, reportContext } from "./reports/report.ts";
import {
  type Columnar,
  expectedLiveSales,
  generateHistory,
  type History,
  liveSalesInSilver,
  loadHistory,
  postBulk,
  random,
  randomFutureDay,
  rowsOf,
  uniqueRegion,
  viewer,
} from "./testing/history.ts";

/** Every column of both endpoints for region `$1`, days `$2`…`$3`, from the definitions. */
const EXPECTED_SQL = `
WITH live AS (
  SELECT s.*, (s.sale_timestamp AT TIME ZONE 'UTC')::date AS d, s.quantity * s.unit_price AS gross
    FROM silver_sales_clean s WHERE s.region = $1 AND NOT s.is_deleted),
cal AS (
  SELECT g::date AS date FROM generate_series((SELECT min(d) FROM live)::timestamp, $3::date::timestamp, interval '1 day') AS g),
daily AS (
  SELECT c.date,
         count(l.sale_id) AS orders,
         count(DISTINCT l.customer_id) AS unique_customers,
         coalesce(sum(l.quantity), 0) AS total_quantity,
         coalesce(sum(l.gross), 0) AS total_revenue,
         coalesce(sum(l.gross - l.discount), 0) AS net_revenue,
         coalesce(sum(l.quantity * coalesce(l.unit_cost, 0)), 0) AS total_costs,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY l.gross) AS median_order_value,
         percentile_cont(0.9) WITHIN GROUP (ORDER BY l.gross) AS p90_order_value
    FROM cal c LEFT JOIN live l ON l.d = c.date
   GROUP BY c.date),
w AS (
  SELECT daily.*, t.fiscal_year, t.fiscal_quarter,
         total_revenue / nullif(orders, 0) AS avg_order_value,
         lag(total_revenue, 1) OVER o AS prev_day_revenue,
         lag(total_revenue, 7) OVER o AS same_day_last_week,
         lag(total_revenue, 30) OVER o AS revenue_30d_ago,
         avg(total_revenue) OVER (o ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS seven_day_avg_revenue,
         avg(total_revenue) OVER (o ROWS BETWEEN 29 PRECEDING AND CURRENT ROW) AS rolling_30d_avg,
         stddev(total_revenue) OVER (o ROWS BETWEEN 29 PRECEDING AND CURRENT ROW) AS rolling_30d_stddev
    FROM daily LEFT JOIN dim_time t ON t.date = daily.date
  WINDOW o AS (ORDER BY daily.date)),
g AS (
  SELECT w.*,
         (total_revenue - prev_day_revenue) / nullif(prev_day_revenue, 0) * 100 AS daily_growth_pct,
         (total_revenue - same_day_last_week) / nullif(same_day_last_week, 0) * 100 AS wow_growth_pct,
         (total_revenue - revenue_30d_ago) / nullif(revenue_30d_ago, 0) * 100 AS month_over_month_pct,
         (total_revenue - rolling_30d_avg) / nullif(rolling_30d_stddev, 0) AS z_score
    FROM w)
SELECT to_char(date, 'YYYY-MM-DD') AS date, fiscal_year, fiscal_quarter, orders::int, unique_customers::int,
       total_quantity::int, total_revenue::float8, net_revenue::float8, total_costs::float8,
       avg_order_value::float8, median_order_value::float8, p90_order_value::float8,
       prev_day_revenue::float8, same_day_last_week::float8, seven_day_avg_revenue::float8,
       daily_growth_pct::float8, wow_growth_pct::float8,
       CASE WHEN abs(daily_growth_pct) > 25 THEN 'HIGH_VOLATILITY'
            WHEN abs(daily_growth_pct) > 10 THEN 'MODERATE_VOLATILITY' ELSE 'STABLE' END AS volatility_flag,
       CASE WHEN total_revenue < 0.8 * seven_day_avg_revenue THEN 'UNDERPERFORMING'
            WHEN total_revenue > 1.2 * seven_day_avg_revenue THEN 'OVERPERFORMING' ELSE 'NORMAL' END AS performance_flag,
       daily_growth_pct::float8 AS day_over_day_pct, wow_growth_pct::float8 AS week_over_week_pct,
       month_over_month_pct::float8, rolling_30d_avg::float8, rolling_30d_stddev::float8,
       coalesce(abs(total_revenue - rolling_30d_avg) > 2 * rolling_30d_stddev, false) AS is_anomaly,
       z_score::float8,
       CASE WHEN wow_growth_pct > 5 THEN 'POSITIVE' WHEN wow_growth_pct < -5 THEN 'NEGATIVE' ELSE 'STABLE' END AS trend_direction,
       ntile(10) OVER (ORDER BY total_revenue, date)::int AS revenue_decile
  FROM g WHERE date BETWEEN $2::date AND $3::date
 ORDER BY date`;

const MONEY_SUMS = new Set([
  "total_revenue",
  "net_revenue",
  "total_costs",
  "prev_day_revenue",
  "same_day_last_week",
]);

async function expected(region: string, from: string, to: string) {
  return query<Record<string, unknown>>(EXPECTED_SQL, [region, from, to]);
}

/** Equal to the cent for sums of money, to 1e-9 relative for the rest; flags, nulls and dates exactly. */
function expectAgreement(
  actual: Record<string, unknown>[],
  wanted: Record<string, unknown>[],
  columns: string[],
) {
  expect(actual.map((r) => r.date)).toEqual(wanted.map((r) => r.date));
  const mismatches: string[] = [];
  actual.forEach((row, i) => {
    for (const column of columns) {
      const a = row[column];
      const b = wanted[i]![column];
      const ok =
        typeof a === "number" && typeof b === "number"
          ? MONEY_SUMS.has(column)
            ? Math.abs(a - b) <= 0.005
            : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b))
          : a === b;
      if (!ok)
        mismatches.push(`${row.date} ${column}: API ${JSON.stringify(a)}, expected ${JSON.stringify(b)}`);
    }
  });
  expect(mismatches).toEqual([]);
}

const DAILY = [
  "date",
  "fiscal_year",
  "fiscal_quarter",
  "orders",
  "unique_customers",
  "total_quantity",
  "total_revenue",
  "net_revenue",
  "total_costs",
  "avg_order_value",
  "median_order_value",
  "p90_order_value",
  "prev_day_revenue",
  "same_day_last_week",
  "seven_day_avg_revenue",
  "daily_growth_pct",
  "wow_growth_pct",
  "volatility_flag",
  "performance_flag",
];
const ADVANCED = [
  "date",
  "total_revenue",
  "unique_customers",
  "avg_order_value",
  "day_over_day_pct",
  "week_over_week_pct",
  "month_over_month_pct",
  "rolling_30d_avg",
  "rolling_30d_stddev",
  "is_anomaly",
  "z_score",
  "trend_direction",
  "revenue_decile",
];

async function api(endpoint: "daily" | "advanced", params: string): Promise<Columnar> {
  const response = await viewer(`/api/v1/kpis/${endpoint}?${params}`, { "cache-control": "no-cache" });
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json();
}

describe("daily and advanced KPIs", () => {
  let history: History;
  const day = (i: number) => addDays(history.start, i);

  beforeAll(async () => {
    history = generateHistory(uniqueRegion(), randomFutureDay());
    await loadHistory(history);
  }, 60_000);

  it("has loaded exactly the live sales the events resolve to", async () => {
    expect(await liveSalesInSilver(history.region)).toEqual(expectedLiveSales(history));
    // The shape the semantics hinge on: a late sale moved history three days earlier, day 0 is
    // deleted whole, gaps exist and revenues tie.
    const days = await expected(history.region, day(-10), day(history.days + 5));
    expect(days[0]?.date).toBe(day(-3));
    expect(days.find((d) => d.date === day(0))?.orders).toBe(0);
    expect(days.filter((d) => d.orders === 0).length).toBeGreaterThan(8);
    expect(days.filter((d) => d.total_revenue === 50).length).toBeGreaterThanOrEqual(5);
    expect(days.some((d) => d.is_anomaly === true)).toBe(true);
  });

  it.each([
    ["the whole history, with days before it and after the last sale", -10, 105],
    ["a range in the middle (windows over all history, then cut)", 45, 75],
    ["one day", 60, 60],
    ["a range starting on the first day of history", -3, 20],
  ])("agree with the definitions over %s", async (_, fromDay, toDay) => {
    const from = day(fromDay);
    const to = day(toDay);
    const wanted = await expected(history.region, from, to);
    const params = `from=${from}&to=${to}&region=${history.region}`;
    const daily = await api("daily", params);
    expect(daily.columns.map((c) => c.name)).toEqual(DAILY);
    expectAgreement(rowsOf(daily), wanted, DAILY);
    const advanced = await api("advanced", params);
    expect(advanced.columns.map((c) => c.name)).toEqual(ADVANCED);
    expectAgreement(rowsOf(advanced), wanted, ADVANCED);
    expect(daily.meta).toMatchObject({ source: "slice", history_start: day(-3) });
  });

  it("computes the same from the combinations when several filters combine", async () => {
    // Every customer and product of this history is unknown to the pipeline: segment and category
    // are "Unknown", so these filters select the region's sales again — by another path.
    const from = day(-10);
    const to = day(105);
    const wanted = await expected(history.region, from, to);
    const params = `from=${from}&to=${to}&region=${history.region}&segment=Unknown&category=Unknown`;
    const daily = await api("daily", params);
    expect(daily.meta.source).toBe("combo");
    expectAgreement(rowsOf(daily), wanted, DAILY);
    expectAgreement(rowsOf(await api("advanced", params)), wanted, ADVANCED);
  });

  it("returns no rows for a range before history starts", async () => {
    const body = await api("daily", `from=${day(-40)}&to=${day(-4)}&region=${history.region}`);
    expect(body.data.every((column) => column.length === 0)).toBe(true);
    // History is what happened up to `to`: none yet.
    expect(body.meta.history_start).toBeNull();
  });

  it("carries as_of and the data's freshness", async () => {
    const body = await api("daily", `from=${day(0)}&to=${day(3)}&region=${history.region}`);
    expect(Date.parse(body.as_of)).toBeGreaterThan(Date.now() - 60_000);
    expect(body.freshness).toMatchObject({
      last_batch_at: expect.any(String),
      pipeline_lag_ms: expect.any(Number),
      last_change: expect.any(String),
      pending_recompute: expect.any(Number),
    });
  });
});

/** Dirty marks of the region's slices and of the whole business on the region's days. */
async function pendingOf(region: string): Promise<number> {
  const [row] = await query<{ n: number }>(
    `SELECT count(*)::int AS n FROM kpi_dirty x
      WHERE (x.dim = 'region' AND x.member = $1)
         OR (x.dim = 'all' AND x.day IN (SELECT DISTINCT sale_date FROM silver_sales_clean WHERE region = $1))`,
    [region],
  );
  return row!.n;
}

describe("after a burst through the webhook, with no scheduled job", () => {
  it("ends with nothing pending and every column of every day exact", async () => {
    const history = generateHistory(uniqueRegion(), randomFutureDay(), 300, 20_261_203);
    const day = (i: number) => addDays(history.start, i);
    // Every event, a tenth of them again (duplicates), shuffled: late and out-of-order events
    // (the stale updates, the sale three days before history) arrive anywhere in the burst.
    const rnd = random(7);
    const events = [...history.bulk.flat(), ...history.late];
    const burst = [...events, ...events.filter(() => rnd() < 0.1)];
    for (let i = burst.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [burst[i], burst[j]] = [burst[j]!, burst[i]!];
    }
    const source = await createSource("burst");
    const requests = 10;
    const size = Math.ceil(burst.length / requests);
    await Promise.all(
      Array.from({ length: requests }, async (_, k) => {
        const response = await postSigned(source, JSON.stringify(burst.slice(k * size, (k + 1) * size)));
        expect(response.status, await response.clone().text()).toBe(202);
      }),
    );
    const expectedSales = JSON.stringify(expectedLiveSales(history));
    const loaded = await eventually(
      async () => JSON.stringify(await liveSalesInSilver(history.region)),
      (actual) => actual === expectedSales,
      30_000,
    );
    expect(loaded).toBe(expectedSales);

    // The live room drains the dirty slices by itself (nobody calls the recomputation here).
    expect(
      await eventually(
        () => pendingOf(history.region),
        (n) => n === 0,
        30_000,
      ),
    ).toBe(0);
    const from = day(-10);
    const to = day(history.days + 5);
    const params = `from=${from}&to=${to}&region=${history.region}`;
    const daily = await api("daily", params);
    expect(daily.freshness.pending).toEqual([]);
    const wanted = await expected(history.region, from, to);
    expect(wanted.filter((d) => d.orders !== 0).length).toBeGreaterThan(200);
    expectAgreement(rowsOf(daily), wanted, DAILY);
    expectAgreement(rowsOf(await api("advanced", params)), wanted, ADVANCED);
  }, 90_000);
});

describe("after a bulk load and /bulk/finish, with no scheduled job", () => {
  it("answers once the events are committed, then the room drains every slice to exact", async () => {
    const history = generateHistory(uniqueRegion(), randomFutureDay(), 200, 20_261_204);
    const day = (i: number) => addDays(history.start, i);
    const source = await createSource("bulk");
    for (const part of [...history.bulk, history.late]) await postBulk(source, part);
    // What the bulk requests answered is committed: silver holds every sale already.
    expect(JSON.stringify(await liveSalesInSilver(history.region))).toBe(
      JSON.stringify(expectedLiveSales(history)),
    );
    const finish = await exports.default.fetch(`http://pulse.test/api/v1/cdc/${source.name}/bulk/finish`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    expect(finish.status).toBe(200);
    const finished = (await finish.json()) as { committed: boolean; dirty_slices: number; exact: boolean };
    expect(finished.committed).toBe(true);
    expect(finished.exact).toBe(finished.dirty_slices === 0);

    // Nobody calls the recomputation here: the room /bulk/finish woke drains the slices.
    expect(
      await eventually(
        () => pendingOf(history.region),
        (n) => n === 0,
        30_000,
      ),
    ).toBe(0);
    const params = `from=${day(-10)}&to=${day(history.days + 5)}&region=${history.region}`;
    const daily = await api("daily", params);
    expect(daily.freshness.pending).toEqual([]);
    const wanted = await expected(history.region, day(-10), day(history.days + 5));
    expect(wanted.filter((d) => d.orders !== 0).length).toBeGreaterThan(150);
    expectAgreement(rowsOf(daily), wanted, DAILY);
    expectAgreement(rowsOf(await api("advanced", params)), wanted, ADVANCED);
  }, 90_000);
});

describe("a slice awaiting its recomputation", () => {
  it("is served as pending (null), never as 0 or a stale figure", async () => {
    const history = generateHistory(uniqueRegion(), randomFutureDay(), 20, 7);
    await loadHistory(history);
    const day = addDays(history.start, 10);
    const wanted = (await expected(history.region, day, day))[0]!;
    expect(wanted.unique_customers).toBeGreaterThan(0);
    const params = `from=${day}&to=${day}&region=${history.region}`;

    // The reports read through one connection, inside a transaction that holds the mark: no
    // recomputation elsewhere can see it (let alone clear it) while they answer.
    const ctx = reportContext(env);
    const ask = async <P>(tx: Db, report: Report<P>, query: Params) => {
      const request = report.parse(query, ctx);
      const version = await report.version(tx, request);
      return { version, table: await report.run(tx, request, version, ctx) };
    };
    await withDb(env, async (tx) => {
      await tx.query("BEGIN");
      try {
        const before = await ask(tx, dailyReport, { from: day, to: day, region: history.region });
        expect(before.version.freshness.pending).toEqual([]);
        await tx.query("INSERT INTO kpi_dirty (dim, member, day) VALUES ('region', $1, $2)", [
          history.region,
          day,
        ]);
        const pending = [{ dim: "region", member: history.region, day }];

        const daily = await ask(tx, dailyReport, { from: day, to: day, region: history.region });
        expect(rowsOf(daily.table)[0]).toMatchObject({
          date: day,
          orders: wanted.orders,
          total_revenue: wanted.total_revenue,
          unique_customers: null,
          median_order_value: null,
          p90_order_value: null,
        });
        expect(daily.version.freshness.pending).toEqual(pending);
        // Part of the version: a cached answer from before is not served.
        expect(daily.version.key).not.toBe(before.version.key);

        const series = await ask(tx, queryReport, {
          metrics: "orders,unique_customers,new_customers,median_order_value",
          grain: "day",
          from: day,
          to: day,
          region: history.region,
        });
        expect(series.table.meta.source).toBe("slice");
        expect(rowsOf(series.table)[0]).toMatchObject({
          orders: wanted.orders,
          unique_customers: null,
          new_customers: null,
          median_order_value: null,
        });
        expect(series.version.freshness.pending).toEqual(pending);

        const breakdown = await ask(tx, breakdownReport, {
          metric: "unique_customers",
          by: "region",
          from: day,
          to: day,
        });
        expect(breakdown.table.meta.source).toBe("slice");
        const mine = rowsOf(breakdown.table).find((r) => r.member === history.region);
        expect(mine).toMatchObject({ unique_customers: null });
        expect(breakdown.version.freshness.pending).toContainEqual(pending[0]);
      } finally {
        // Never committed: the mark goes with the transaction.
        await tx.query("ROLLBACK");
      }
    });

    // Outside it, the same slice is exact and nothing is listed as pending.
    const daily = await api("daily", params);
    expect(rowsOf(daily)[0]).toMatchObject({
      unique_customers: wanted.unique_customers,
      median_order_value: wanted.median_order_value,
    });
    expect(daily.freshness.pending).toEqual([]);
  }, 60_000);
});
