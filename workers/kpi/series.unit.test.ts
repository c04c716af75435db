import { describe, expect, it } from "vitest";
import {
  advancedKpis,
  compareGrowth,
  type Day,
  dailyKpis,
  growthPct,
  ntile,
  performance,
  trend,
  volatility,
  windowStats,
} from "./series.ts";

/** A dense series from 2030-01-01 with the given daily revenues (cents), one order per 1,000 cents. */
function series(revenues: number[]): Day[] {
  return revenues.map((revenue, i) => ({
    date: new Date(Date.UTC(2030, 0, 1 + i)).toISOString().slice(0, 10),
    fiscalYear: 2030,
    fiscalQuarter: 1,
    orders: Math.ceil(revenue / 1000),
    uniqueCustomers: Math.ceil(revenue / 1000),
    quantity: Math.ceil(revenue / 1000),
    revenue,
    netRevenue: revenue,
    costs: 0,
    median: revenue > 0 ? 10 : null,
    p90: revenue > 0 ? 10 : null,
  }));
}

describe("growth", () => {
  it.each([
    [110, 100, 10],
    [0, 100, -100],
    [5, 0, null],
    [5, undefined, null],
    [300, 200, 50],
  ])("growthPct(%s, %s) = %s", (current, previous, expected) => {
    expect(growthPct(current, previous)).toBe(expected);
  });

  it.each([
    [106, 100, 5, 1],
    [105, 100, 5, 0],
    [104, 100, 5, -1],
    [95, 100, -5, 0],
    [94, 100, -5, -1],
    [1, 0, 5, null],
  ])("compareGrowth(%s, %s, %s) = %s", (current, previous, threshold, expected) => {
    expect(compareGrowth(current, previous, threshold)).toBe(expected);
  });
});

describe("flags (strict thresholds, decided exactly)", () => {
  it.each([
    [125, 100, "MODERATE_VOLATILITY"], // exactly +25 %: not above 25
    [126, 100, "HIGH_VOLATILITY"],
    [75, 100, "MODERATE_VOLATILITY"],
    [74, 100, "HIGH_VOLATILITY"],
    [110, 100, "STABLE"], // exactly +10 %
    [111, 100, "MODERATE_VOLATILITY"],
    [500, 0, "STABLE"], // growth null after a zero day
    [500, undefined, "STABLE"],
  ] as const)("volatility(%s, %s) = %s", (current, previous, expected) => {
    expect(volatility(current, previous)).toBe(expected);
  });

  it.each([
    [80, 300, 3, "NORMAL"], // exactly 0.8 × 100
    [79, 300, 3, "UNDERPERFORMING"],
    [120, 300, 3, "NORMAL"], // exactly 1.2 × 100
    [121, 300, 3, "OVERPERFORMING"],
    [0, 0, 7, "NORMAL"], // a week of zeros
    [1, 0, 7, "OVERPERFORMING"],
  ] as const)("performance(%s, sum %s over %s days) = %s", (revenue, sum, n, expected) => {
    expect(performance(revenue, sum, n)).toBe(expected);
  });

  it.each([
    [106, 100, "POSITIVE"],
    [105, 100, "STABLE"],
    [95, 100, "STABLE"],
    [94, 100, "NEGATIVE"],
    [94, 0, "STABLE"],
    [94, undefined, "STABLE"],
  ] as const)("trend(%s, %s) = %s", (current, weekAgo, expected) => {
    expect(trend(current, weekAgo)).toBe(expected);
  });
});

describe("windowStats", () => {
  it("has no deviation for one value", () => {
    expect(windowStats([1234], 1234)).toEqual({
      n: 1,
      mean: 12.34,
      stddev: null,
      zScore: null,
      isAnomaly: false,
    });
  });

  it("has zero deviation and no z-score for equal values", () => {
    expect(windowStats([500, 500, 500], 500)).toEqual({
      n: 3,
      mean: 5,
      stddev: 0,
      zScore: null,
      isAnomaly: false,
    });
  });

  it("uses the sample standard deviation", () => {
    const s = windowStats([100, 200, 300, 400], 400);
    expect(s.mean).toBe(2.5);
    expect(s.stddev).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(s.zScore).toBeCloseTo(1.5 / Math.sqrt(5 / 3), 12);
    expect(s.isAnomaly).toBe(false);
  });

  it("flags a value more than two deviations from the mean", () => {
    const quiet = Array.from({ length: 29 }, (_, i) => 10_000 + (i % 2));
    expect(windowStats([...quiet, 20_000], 20_000).isAnomaly).toBe(true);
    expect(windowStats([...quiet, 10_000], 10_000).isAnomaly).toBe(false);
  });

  it("stays exact where squares outgrow 2^53", () => {
    const big = 9_000_000_000_000; // $90 billion in cents
    expect(windowStats([big, big, big], big)).toMatchObject({ stddev: 0, zScore: null, isAnomaly: false });
  });
});

describe("ntile", () => {
  it.each([
    [3, [1, 2, 3]],
    [10, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]],
    [12, [1, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10]],
    [25, [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10]],
  ])("spreads %s rows like SQL NTILE(10)", (n, expected) => {
    const items = Array.from({ length: n }, (_, i) => i);
    expect(ntile(items, 10, (a, b) => a - b)).toEqual(expected);
  });

  it("orders ties by position (date)", () => {
    expect(ntile([5, 5, 1, 5], 10, (a, b) => a - b)).toEqual([2, 3, 1, 4]);
  });
});

describe("dailyKpis", () => {
  it("starts windows at the start of history and treats a zero day as a value", () => {
    const rows = dailyKpis(series([10_000, 0, 5_000, 5_000]), "2030-01-01");
    expect(rows.map((r) => r.prev_day_revenue)).toEqual([null, 100, 0, 50]);
    expect(rows.map((r) => r.daily_growth_pct)).toEqual([null, -100, null, 0]);
    expect(rows.map((r) => r.seven_day_avg_revenue)).toEqual([100, 50, 50, 50]);
    expect(rows.map((r) => r.avg_order_value)).toEqual([10, null, 10, 10]);
    expect(rows.map((r) => r.volatility_flag)).toEqual(["STABLE", "HIGH_VOLATILITY", "STABLE", "STABLE"]);
    expect(rows.map((r) => r.performance_flag)).toEqual(["NORMAL", "UNDERPERFORMING", "NORMAL", "NORMAL"]);
  });

  it("computes over the whole series and returns from `from` on", () => {
    const revenues = Array.from({ length: 40 }, (_, i) => (i + 1) * 1000);
    const all = dailyKpis(series(revenues), "2030-01-01");
    const cut = dailyKpis(series(revenues), "2030-02-01");
    expect(cut).toEqual(all.slice(31));
    expect(cut[0]).toMatchObject({ date: "2030-02-01", same_day_last_week: 250, prev_day_revenue: 310 });
  });

  it("looks back seven calendar days", () => {
    const rows = dailyKpis(series([7_000, 1, 1, 1, 1, 1, 1, 14_000]), "2030-01-08");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ same_day_last_week: 70, wow_growth_pct: 100 });
  });
});

describe("advancedKpis", () => {
  it("compares month over month with 30 days earlier", () => {
    const revenues = Array.from({ length: 31 }, (_, i) => (i === 0 ? 1_000 : 2_000));
    const [last] = advancedKpis(series(revenues), "2030-01-31");
    expect(last).toMatchObject({ date: "2030-01-31", month_over_month_pct: 100, day_over_day_pct: 0 });
  });

  it("ranks deciles over the returned range only", () => {
    const rows = advancedKpis(series([9_000, 9_000, 1_000, 2_000, 3_000]), "2030-01-03");
    expect(rows.map((r) => r.revenue_decile)).toEqual([1, 2, 3]);
  });

  it("has null deviation on the first day of history and none for a flat month", () => {
    const rows = advancedKpis(series(Array.from({ length: 30 }, () => 500)), "2030-01-01");
    expect(rows[0]).toMatchObject({ rolling_30d_stddev: null, z_score: null, is_anomaly: false });
    expect(rows[29]).toMatchObject({
      rolling_30d_avg: 5,
      rolling_30d_stddev: 0,
      z_score: null,
      is_anomaly: false,
    });
  });
});
