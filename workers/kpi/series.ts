/**
 * The window maths of `/kpis/daily` and `/kpis/advanced` (pure): lags, rolling means and standard
 * deviations, growth rates, flags and deciles over a dense daily series.
 *
 * The series starts at the first day with a live sale, or at least 30 days before the first day
 * returned, so every window sees all the history it would see over the whole series ("windows over
 * all history, then cut"); before the series there is no history, so windows there are partial
 * exactly as SQL's `ROWS BETWEEN n PRECEDING AND CURRENT ROW` makes them.
 *
 * Money is in integer cents, so sums are exact and every threshold (`>`/`<`, strict) is decided in
 * integer arithmetic: a day at exactly 0.8 × its 7-day average is NORMAL, never a rounding accident.
 * Sums of squares use BigInt (they outgrow 2^53 at a few million per day).
 */

/** One calendar day of measures (money in cents of the reporting currency). */
export interface Day {
  date: string;
  fiscalYear: number | null;
  fiscalQuarter: number | null;
  orders: number;
  /** Null while the day's slice awaits its recomputation (as are `median` and `p90`). */
  uniqueCustomers: number | null;
  quantity: number;
  revenue: number;
  netRevenue: number;
  costs: number;
  median: number | null;
  p90: number | null;
}

export type Volatility = "HIGH_VOLATILITY" | "MODERATE_VOLATILITY" | "STABLE";
export type Performance = "UNDERPERFORMING" | "OVERPERFORMING" | "NORMAL";
export type Trend = "POSITIVE" | "NEGATIVE" | "STABLE";

export interface DailyRow {
  date: string;
  fiscal_year: number | null;
  fiscal_quarter: number | null;
  orders: number;
  unique_customers: number | null;
  total_quantity: number;
  total_revenue: number;
  net_revenue: number;
  total_costs: number;
  avg_order_value: number | null;
  median_order_value: number | null;
  p90_order_value: number | null;
  prev_day_revenue: number | null;
  same_day_last_week: number | null;
  seven_day_avg_revenue: number | null;
  daily_growth_pct: number | null;
  wow_growth_pct: number | null;
  volatility_flag: Volatility;
  performance_flag: Performance;
}

export interface AdvancedRow {
  date: string;
  total_revenue: number;
  unique_customers: number | null;
  avg_order_value: number | null;
  day_over_day_pct: number | null;
  week_over_week_pct: number | null;
  month_over_month_pct: number | null;
  rolling_30d_avg: number | null;
  rolling_30d_stddev: number | null;
  is_anomaly: boolean;
  z_score: number | null;
  trend_direction: Trend;
  revenue_decile: number;
}

const dollars = (cents: number) => cents / 100;

/** (current − previous) / previous × 100, null when the previous value is missing or zero. */
export function growthPct(current: number, previous: number | undefined): number | null {
  if (previous === undefined || previous === 0) return null;
  return ((current - previous) / previous) * 100;
}

/**
 * The sign of (growth − thresholdPct), decided exactly on integers; null when growth is null.
 * growth > t ⟺ ((current − previous) × 100 − t × previous) / previous > 0.
 */
export function compareGrowth(
  current: number,
  previous: number | undefined,
  thresholdPct: number,
): number | null {
  if (previous === undefined || previous === 0) return null;
  const numerator = (current - previous) * 100 - thresholdPct * previous;
  return Math.sign(numerator) * Math.sign(previous);
}

export function volatility(current: number, previous: number | undefined): Volatility {
  if (previous === undefined || previous === 0) return "STABLE";
  // |growth| > t ⟺ |current − previous| × 100 > t × |previous|
  const change = Math.abs(current - previous) * 100;
  if (change > 25 * Math.abs(previous)) return "HIGH_VOLATILITY";
  if (change > 10 * Math.abs(previous)) return "MODERATE_VOLATILITY";
  return "STABLE";
}

/** Against the mean `sum / n`: under 0.8× or over 1.2× (strict), decided as 10·n·rev vs 8·sum / 12·sum. */
export function performance(revenue: number, sum: number, n: number): Performance {
  if (n === 0) return "NORMAL";
  if (10 * n * revenue < 8 * sum) return "UNDERPERFORMING";
  if (10 * n * revenue > 12 * sum) return "OVERPERFORMING";
  return "NORMAL";
}

export function trend(current: number, weekAgo: number | undefined): Trend {
  const above = compareGrowth(current, weekAgo, 5);
  if (above !== null && above > 0) return "POSITIVE";
  const below = compareGrowth(current, weekAgo, -5);
  if (below !== null && below < 0) return "NEGATIVE";
  return "STABLE";
}

/** Window statistics of `values[from..to]` (cents). */
export interface WindowStats {
  n: number;
  mean: number | null;
  /** Sample standard deviation (`stddev` in Postgres): null for fewer than two values. */
  stddev: number | null;
  zScore: number | null;
  isAnomaly: boolean;
}

/** Mean, sample stddev, z-score of `current` and the 2σ anomaly test, exact where it decides. */
export function windowStats(values: number[], current: number): WindowStats {
  const n = values.length;
  if (n === 0) return { n, mean: null, stddev: null, zScore: null, isAnomaly: false };
  let sum = 0n;
  let squares = 0n;
  for (const v of values) {
    const b = BigInt(v);
    sum += b;
    squares += b * b;
  }
  const mean = Number(sum) / n / 100;
  if (n < 2) return { n, mean, stddev: null, zScore: null, isAnomaly: false };
  const bn = BigInt(n);
  // variance = (n·Σx² − (Σx)²) / (n(n−1)); its numerator is exact
  const varianceNumerator = bn * squares - sum * sum;
  const stddev = Math.sqrt(Number(varianceNumerator) / (n * (n - 1))) / 100;
  const deviation = bn * BigInt(current) - sum; // n × (current − mean)
  // |current − mean| > 2σ ⟺ (n·current − Σ)² · (n − 1) > 4 · n · varianceNumerator
  const isAnomaly = deviation * deviation * (bn - 1n) > 4n * bn * varianceNumerator;
  const zScore = varianceNumerator === 0n ? null : Number(deviation) / n / 100 / stddev;
  return { n, mean, stddev, zScore, isAnomaly };
}

/** `NTILE(buckets)` of each position, ordered by `keys` (ties already broken by the caller's order). */
export function ntile<T>(items: T[], buckets: number, compare: (a: T, b: T) => number): number[] {
  const order = items.map((_, i) => i).sort((a, b) => compare(items[a]!, items[b]!) || a - b);
  const n = items.length;
  const base = Math.floor(n / buckets);
  const extra = n % buckets;
  const result = new Array<number>(n);
  let position = 0;
  for (let bucket = 1; bucket <= Math.min(buckets, n); bucket++) {
    const size = base + (bucket <= extra ? 1 : 0);
    for (let k = 0; k < size; k++) result[order[position++]!] = bucket;
  }
  return result;
}

/** Index of the first day to return: `from`, or the series start when history begins later. */
function firstIndex(series: Day[], from: string): number {
  const i = series.findIndex((d) => d.date >= from);
  return i < 0 ? series.length : i;
}

const at = (series: Day[], i: number): number | undefined => (i >= 0 ? series[i]!.revenue : undefined);

export function dailyKpis(series: Day[], from: string): DailyRow[] {
  const rows: DailyRow[] = [];
  for (let i = firstIndex(series, from); i < series.length; i++) {
    const d = series[i]!;
    const previous = at(series, i - 1);
    const weekAgo = at(series, i - 7);
    const window = series.slice(Math.max(0, i - 6), i + 1);
    const sum7 = window.reduce((s, x) => s + x.revenue, 0);
    rows.push({
      date: d.date,
      fiscal_year: d.fiscalYear,
      fiscal_quarter: d.fiscalQuarter,
      orders: d.orders,
      unique_customers: d.uniqueCustomers,
      total_quantity: d.quantity,
      total_revenue: dollars(d.revenue),
      net_revenue: dollars(d.netRevenue),
      total_costs: dollars(d.costs),
      avg_order_value: d.orders > 0 ? d.revenue / d.orders / 100 : null,
      median_order_value: d.median,
      p90_order_value: d.p90,
      prev_day_revenue: previous === undefined ? null : dollars(previous),
      same_day_last_week: weekAgo === undefined ? null : dollars(weekAgo),
      seven_day_avg_revenue: sum7 / window.length / 100,
      daily_growth_pct: growthPct(d.revenue, previous),
      wow_growth_pct: growthPct(d.revenue, weekAgo),
      volatility_flag: volatility(d.revenue, previous),
      performance_flag: performance(d.revenue, sum7, window.length),
    });
  }
  return rows;
}

export function advancedKpis(series: Day[], from: string): AdvancedRow[] {
  const start = firstIndex(series, from);
  const returned = series.slice(start);
  // Deciles over the returned range only, by revenue, ties by date ascending (the series is in date order).
  const deciles = ntile(returned, 10, (a, b) => a.revenue - b.revenue);
  return returned.map((d, k) => {
    const i = start + k;
    const weekAgo = at(series, i - 7);
    const stats = windowStats(
      series.slice(Math.max(0, i - 29), i + 1).map((x) => x.revenue),
      d.revenue,
    );
    return {
      date: d.date,
      total_revenue: dollars(d.revenue),
      unique_customers: d.uniqueCustomers,
      avg_order_value: d.orders > 0 ? d.revenue / d.orders / 100 : null,
      day_over_day_pct: growthPct(d.revenue, at(series, i - 1)),
      week_over_week_pct: growthPct(d.revenue, weekAgo),
      month_over_month_pct: growthPct(d.revenue, at(series, i - 30)),
      rolling_30d_avg: stats.mean,
      rolling_30d_stddev: stats.stddev,
      is_anomaly: stats.isAnomaly,
      z_score: stats.zScore,
      trend_direction: trend(d.revenue, weekAgo),
      revenue_decile: deciles[k]!,
    };
  });
}
