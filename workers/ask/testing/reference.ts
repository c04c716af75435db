/**
 * Expected answers computed straight from the generated sales (pure, shares no code with the
 * engine): each metric from its definition in words, breakdowns, the daily flags and anomalies.
 * Money is summed in cents.
 */
import { addDays } from "../../kpi/calendar.ts";
import { FIRST_DAY } from "./today.ts";

export interface Sale {
  id: string;
  date: string;
  /** The sale's hour (UTC, the tests' reporting timezone). */
  hour: number;
  customer: string;
  product: string;
  category: string;
  segment: string;
  region: string;
  rep: string;
  quantity: number;
  /** Cents, so every sum is exact. */
  price: number;
  discount: number;
  cost: number | null;
}

export interface Range {
  from: string;
  to: string;
}
export type Filters = Partial<Record<"region" | "segment" | "category" | "product" | "sales_rep", string>>;

const fieldOf: Record<string, keyof Sale> = {
  region: "region",
  segment: "segment",
  category: "category",
  product: "product",
  sales_rep: "rep",
};

export function select(sales: Sale[], range: Range, filters: Filters = {}): Sale[] {
  return sales.filter(
    (s) =>
      s.date >= range.from &&
      s.date <= range.to &&
      Object.entries(filters).every(([d, m]) => s[fieldOf[d]!] === m),
  );
}

/** percentile_cont: linear interpolation between the two nearest ranks. */
function percentileCont(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = p * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export class Reference {
  private firstDay = new Map<string, string>();
  readonly sales: Sale[];
  constructor(sales: Sale[]) {
    this.sales = sales;
    for (const s of sales) {
      const seen = this.firstDay.get(s.customer);
      if (!seen || s.date < seen) this.firstDay.set(s.customer, s.date);
    }
  }

  metric(name: string, range: Range, filters: Filters = {}): number | null {
    return this.of(name, select(this.sales, range, filters));
  }

  /** `name` over the sales `xs` (new customers still by their first day over all sales). */
  of(name: string, xs: Sale[]): number | null {
    const gross = xs.reduce((t, s) => t + s.quantity * s.price, 0);
    const net = gross - xs.reduce((t, s) => t + s.discount, 0);
    const cost = xs.reduce((t, s) => t + s.quantity * (s.cost ?? 0), 0);
    switch (name) {
      case "revenue":
        return gross / 100;
      case "net_revenue":
        return net / 100;
      case "cost_of_goods":
        return cost / 100;
      case "gross_profit":
        return (net - cost) / 100;
      case "profit_margin_pct":
        return net === 0 ? null : ((net - cost) / net) * 100;
      case "orders":
        return xs.length;
      case "quantity":
        return xs.reduce((t, s) => t + s.quantity, 0);
      case "unique_customers":
        return new Set(xs.map((s) => s.customer)).size;
      case "avg_order_value":
        return xs.length === 0 ? null : gross / xs.length / 100;
      case "median_order_value":
        return percentileCont(
          xs.map((s) => (s.quantity * s.price) / 100),
          0.5,
        );
      case "p90_order_value":
        return percentileCont(
          xs.map((s) => (s.quantity * s.price) / 100),
          0.9,
        );
      case "new_customers":
        return new Set(xs.filter((s) => this.firstDay.get(s.customer) === s.date).map((s) => s.customer))
          .size;
      default:
        throw new Error(`no reference for ${name}`);
    }
  }

  /** Members of `by` with sales in the range and their value, largest first (ties by member, descending). */
  breakdown(
    metric: string,
    by: string,
    range: Range,
    filters: Filters = {},
  ): { member: string; value: number | null }[] {
    const members = new Set(select(this.sales, range, filters).map((s) => String(s[fieldOf[by]!])));
    return [...members]
      .map((member) => ({ member, value: this.metric(metric, range, { ...filters, [by]: member }) }))
      .sort((a, b) => (b.value ?? -Infinity) - (a.value ?? -Infinity) || (a.member < b.member ? 1 : -1));
  }

  /** Revenue in cents per day from the first day of data to `to`, dense. */
  dailyRevenue(to: string, filters: Filters = {}): { date: string; cents: number }[] {
    const byDay = new Map<string, number>();
    for (const s of select(this.sales, { from: FIRST_DAY, to }, filters)) {
      byDay.set(s.date, (byDay.get(s.date) ?? 0) + s.quantity * s.price);
    }
    const start = [...byDay.keys()].sort()[0];
    const out: { date: string; cents: number }[] = [];
    for (let d = start; d !== undefined && d <= to; d = addDays(d, 1))
      out.push({ date: d, cents: byDay.get(d) ?? 0 });
    return out;
  }

  /** The seed's flags and the 30-day anomaly test per day of `range`. */
  flags(range: Range, filters: Filters = {}) {
    const series = this.dailyRevenue(range.to, filters);
    return series.flatMap((d, i) => {
      if (d.date < range.from) return [];
      const prev = i > 0 ? series[i - 1]!.cents : undefined;
      const volatility =
        prev === undefined || prev === 0
          ? "STABLE"
          : Math.abs(d.cents - prev) * 100 > 25 * prev
            ? "HIGH_VOLATILITY"
            : Math.abs(d.cents - prev) * 100 > 10 * prev
              ? "MODERATE_VOLATILITY"
              : "STABLE";
      const week = series.slice(Math.max(0, i - 6), i + 1).map((x) => x.cents);
      const mean7 = week.reduce((a, b) => a + b, 0) / week.length;
      const performance =
        d.cents < 0.8 * mean7 ? "UNDERPERFORMING" : d.cents > 1.2 * mean7 ? "OVERPERFORMING" : "NORMAL";
      const month = series.slice(Math.max(0, i - 29), i + 1).map((x) => x.cents);
      const mean30 = month.reduce((a, b) => a + b, 0) / month.length;
      const sd =
        month.length < 2
          ? null
          : Math.sqrt(month.reduce((a, b) => a + (b - mean30) ** 2, 0) / (month.length - 1));
      const z = sd ? (d.cents - mean30) / sd : null;
      return [
        {
          date: d.date,
          revenue: d.cents / 100,
          prev: prev === undefined ? null : prev / 100,
          mean7: mean7 / 100,
          volatility,
          performance,
          anomaly: z !== null && Math.abs(z) > 2,
          z,
        },
      ];
    });
  }
}
