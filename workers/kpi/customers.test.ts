/**
 * Customer analytics: after a rebuild, each customer's orders, dates and lifetime value equal SQL
 * over their live sales, scores are consistent with their ranks, the segment follows the R × F grid,
 * and the per-segment table covers every segment of the grid.
 */
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { TEST_ADMIN_TOKEN } from "../../test/support/tokens.ts";
import { withDb } from "../db/client.ts";
import { query } from "../test-support.ts";
import { segmentOf } from "./customers/rfm.ts";
import { readRfmState, refreshCustomerRfmIfDue } from "./customers/store.ts";
import {
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
  const response = await viewer(path);
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json();
}

describe("customer analytics", () => {
  let history: History;

  beforeAll(async () => {
    history = generateHistory(uniqueRegion(), randomFutureDay(), 60, 3);
    await loadHistory(history);
    const refreshed = await exports.default.fetch("http://pulse.test/api/v1/customers/refresh", {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    expect(refreshed.status).toBe(200);
  }, 60_000);

  it("gives each customer their orders, dates, lifetime value and an RFM segment", async () => {
    const wanted = await query<Record<string, unknown>>(
      `SELECT customer_id, count(*)::int AS orders, min(sale_date)::text AS first_day, max(sale_date)::text AS last_day,
              sum(quantity * unit_price)::float8 AS revenue, sum(quantity * unit_price - discount)::float8 AS lifetime_value
         FROM silver_sales_clean WHERE region = $1 AND NOT is_deleted GROUP BY customer_id ORDER BY customer_id`,
      [history.region],
    );
    expect(wanted.length).toBeGreaterThan(10);
    const mine = [];
    for (const w of wanted) {
      const body = await get(`/api/v1/customers?customer=${w.customer_id}`);
      const [row] = rowsOf(body);
      expect(row).toMatchObject({
        ...w,
        revenue: expect.closeTo(w.revenue as number, 6),
        lifetime_value: expect.closeTo(w.lifetime_value as number, 6),
      });
      const r = row!.r_score as number;
      const f = row!.f_score as number;
      expect(row!.rfm_segment).toBe(segmentOf(r, f).name);
      expect([r, f, row!.m_score]).toEqual([expect.any(Number), expect.any(Number), expect.any(Number)]);
      mine.push(row!);
    }
    // Scores follow ranks: a later last purchase never scores lower recency, more orders never lower frequency.
    for (const a of mine) {
      for (const b of mine) {
        if ((a.last_day as string) > (b.last_day as string))
          expect(a.r_score).toBeGreaterThanOrEqual(b.r_score as number);
        if ((a.orders as number) > (b.orders as number))
          expect(a.f_score).toBeGreaterThanOrEqual(b.f_score as number);
      }
    }
  });

  it("sorts and pages customers by lifetime value", async () => {
    const body = await get("/api/v1/customers?limit=5&sort=lifetime_value&order=desc");
    const values = rowsOf(body).map((r) => r.lifetime_value as number);
    expect(values).toEqual([...values].sort((a, b) => b - a));
    expect(body.meta).toMatchObject({ limit: 5, offset: 0, next_offset: 5 });
  });

  it("summarises every segment of the grid", async () => {
    const body = await get("/api/v1/customers/segments");
    const rows = rowsOf(body);
    expect(rows.map((r) => r.rfm_segment)).toEqual([
      "champions",
      "loyal",
      "potential_loyalists",
      "new",
      "promising",
      "need_attention",
      "about_to_sleep",
      "cannot_lose",
      "at_risk",
      "hibernating",
    ]);
    expect(rows.reduce((n, r) => n + (r.customers as number), 0)).toBe(body.meta.customers);
    expect(rows.reduce((n, r) => n + (r.share_pct as number), 0)).toBeCloseTo(100, 9);
    expect(body.freshness.last_change).toEqual(expect.any(String));
  });

  it("is rebuilt by the schedule only when a new day starts or sales changed a while ago", async () => {
    await withDb(env, async (db) => {
      const state = await readRfmState(db);
      expect(await refreshCustomerRfmIfDue(db, state.as_of_day!)).toBeUndefined();
      const next = await refreshCustomerRfmIfDue(db, "2099-01-01");
      expect(next).toMatchObject({ as_of_day: "2099-01-01", customers: expect.any(Number) });
    });
  });
});
