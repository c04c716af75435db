import { describe, expect, it } from "vitest";
import { emptyTiles } from "../../../workers/live/protocol.ts";
import type { Answer } from "./api.ts";
import { denseMinutes, growthPct, revenueFlags, tileFigures } from "./overview.ts";

const answer = (columns: Record<string, unknown[]>): Answer => ({
  columns: Object.keys(columns).map((name) => ({ name, type: "number" })),
  data: Object.values(columns),
  meta: {},
  as_of: "2026-11-26T10:00:00Z",
  freshness: { last_batch_at: null, pipeline_lag_ms: null, last_change: null, pending_recompute: 0 },
});

const totals = answer({
  period: ["2026-11-24"],
  revenue: [300],
  revenue_previous: [200],
  net_revenue: [270],
  net_revenue_previous: [0],
  orders: [6],
  orders_previous: [5],
  unique_customers: [4],
  unique_customers_previous: [4],
  avg_order_value: [50],
  avg_order_value_previous: [40],
  profit_margin_pct: [50],
  profit_margin_pct_previous: [null],
  cost_of_goods: [135],
});
const days = answer({
  period: ["2026-11-24", "2026-11-25", "2026-11-26"],
  revenue: [100, 0, 200],
  net_revenue: [90, 0, 180],
  orders: [2, 0, 4],
  unique_customers: [2, 0, 2],
  avg_order_value: [50, null, 50],
  profit_margin_pct: [50, null, 50],
  cost_of_goods: [45, 0, 90],
});

describe("tileFigures", () => {
  it("takes values and comparisons from the API as they are", () => {
    const f = tileFigures(totals, days, null);
    expect(f.revenue).toEqual({ value: 300, previous: 200, changePct: 50, spark: [100, 0, 200] });
    expect(f.net_revenue.changePct).toBeNull(); // previous period had nothing
    expect(f.profit_margin_pct).toMatchObject({ value: 50, previous: null, changePct: null });
    expect(f.unique_customers.spark).toEqual([2, 0, 2]);
  });

  it("marks a figure the API is still recomputing as pending, not as a value", () => {
    const pending = { dim: "all", member: "", day: "2026-11-24" };
    const updating: Answer = {
      ...totals,
      data: totals.columns.map((c, i) => (c.name === "unique_customers" ? [null] : totals.data[i]!)),
      freshness: { ...totals.freshness, pending_recompute: 1, pending: [pending] },
    };
    const f = tileFigures(updating, days, null);
    expect(f.unique_customers).toMatchObject({ value: null, pending: true });
    expect(f.revenue.pending).toBeUndefined();
    expect(tileFigures(totals, days, null).unique_customers.pending).toBeUndefined();
  });

  it("reads the range's distinct customers from their own answer when the totals leave them out", () => {
    const without = (answer: Answer, keep: (name: string) => boolean): Answer => ({
      ...answer,
      columns: answer.columns.filter((c) => keep(c.name)),
      data: answer.data.filter((_, i) => keep(answer.columns[i]!.name)),
    });
    const isDistinct = (name: string) => name.startsWith("unique_customers");
    const rest = without(totals, (name) => !isDistinct(name));
    const distinct = without(totals, isDistinct);
    // Still loading: that tile waits (no value, not "updating…"), the others show.
    const loading = tileFigures(rest, days, null, null);
    expect(loading.unique_customers).toMatchObject({ value: null, previous: null });
    expect(loading.unique_customers.pending).toBeUndefined();
    expect(loading.revenue.value).toBe(300);
    expect(tileFigures(rest, days, null, distinct)).toEqual(tileFigures(totals, days, null));
    // Pending in its own answer: "updating…".
    const updating: Answer = {
      ...distinct,
      data: distinct.columns.map((c, i) => (c.name === "unique_customers" ? [null] : distinct.data[i]!)),
      freshness: { ...distinct.freshness, pending: [{ dim: "all", member: "", day: "2026-11-24" }] },
    };
    expect(tileFigures(rest, days, null, updating).unique_customers).toMatchObject({
      value: null,
      pending: true,
    });
  });

  it("folds in what the live room has seen today beyond the API's today bucket", () => {
    const live = {
      date: "2026-11-26",
      tiles: { ...emptyTiles, revenue: 230, net_revenue: 207, orders: 5, costs: 100, unique_customers: 3 },
    };
    const f = tileFigures(totals, days, live);
    expect(f.revenue.value).toBe(330);
    expect(f.revenue.changePct).toBe(65);
    expect(f.revenue.spark).toEqual([100, 0, 230]);
    expect(f.orders.value).toBe(7);
    expect(f.net_revenue.value).toBe(297);
    expect(f.avg_order_value.value).toBeCloseTo(330 / 7, 9);
    expect(f.profit_margin_pct.value).toBeCloseTo(((297 - 145) / 297) * 100, 9);
    expect(f.avg_order_value.spark[2]).toBeCloseTo(46, 9);
    // Unique customers wait for the API: a live customer may already count earlier in the range.
    expect(f.unique_customers.value).toBe(4);
  });

  it("ignores live figures of a day outside the range", () => {
    const live = { date: "2026-11-27", tiles: { ...emptyTiles, revenue: 999, orders: 9 } };
    expect(tileFigures(totals, days, live).revenue.value).toBe(300);
  });
});

it.each([
  [110, 100, 10],
  [90, 100, -10],
  [5, 0, null],
  [null, 100, null],
])("growthPct(%s, %s) = %s", (now, was, expected) => {
  expect(growthPct(now, was)).toBe(expected);
});

describe("revenueFlags", () => {
  const daily = answer({
    date: ["2026-12-01", "2026-12-02"],
    volatility_flag: ["STABLE", "HIGH_VOLATILITY"],
    performance_flag: ["NORMAL", "UNDERPERFORMING"],
  });
  const advanced = answer({
    date: ["2026-12-01", "2026-12-02"],
    trend_direction: ["NEGATIVE", "POSITIVE"],
  });

  it("names the last day's flags in words, with a tone", () => {
    expect(revenueFlags(daily, advanced)).toEqual([
      { name: "volatility", code: "HIGH_VOLATILITY", text: "High volatility", tone: "warn" },
      { name: "performance", code: "UNDERPERFORMING", text: "Below average", tone: "bad" },
      { name: "trend", code: "POSITIVE", text: "Trending up", tone: "good" },
    ]);
  });

  it("judges the last complete day while the range ends today", () => {
    expect(revenueFlags(daily, advanced, "2026-12-02").map((f) => f.code)).toEqual([
      "STABLE",
      "NORMAL",
      "NEGATIVE",
    ]);
    expect(revenueFlags(daily, advanced, "2026-12-09").map((f) => f.code)).toEqual([
      "HIGH_VOLATILITY",
      "UNDERPERFORMING",
      "POSITIVE",
    ]);
  });

  it("says nothing for an empty range", () => {
    expect(revenueFlags(answer({ volatility_flag: [] }), null)).toEqual([]);
  });
});

it("densifies the live minutes into the last window, zero where nothing sold", () => {
  const asOf = Date.parse("2026-11-26T10:04:30Z");
  const t0 = Date.parse("2026-11-26T10:00:00Z") / 1000;
  const minutes = {
    t: [t0 - 60, t0 + 120, t0 + 240],
    orders: [1, 2, 1],
    quantity: [1, 2, 1],
    revenue: [5, 20, 7],
    net_revenue: [5, 20, 7],
    costs: [1, 1, 1],
  };
  expect(denseMinutes(minutes, asOf, 5)).toEqual([
    [t0, t0 + 60, t0 + 120, t0 + 180, t0 + 240],
    [0, 0, 20, 0, 7],
  ]);
});
