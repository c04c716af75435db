/**
 * The overview's figures, pure: the KPI tiles from the API's whole-range totals (with the
 * comparison period), their sparklines from the daily series, the seed's revenue flags in words,
 * and today's live figures folded in.
 *
 * Live folding: when the range ends today, each additive figure is the API's range total plus what
 * the live room has seen today beyond the API's own today bucket (`live − apiToday`), so a sale
 * moves the tiles within a frame; the ratios (average order value, margin) are recomputed from
 * the adjusted sums by the model's definitions. Unique customers can't be adjusted that way (a
 * customer may already count earlier in the range): they follow the next API answer.
 */
import type { MinuteSeries, Tiles } from "../../../workers/live/protocol.ts";
import { type Answer, apiUrl, column } from "./api.ts";
import type { ValueKind } from "./format.ts";
import { apiParams, resolveRange, type ViewState } from "./url-state.ts";

export type TileMetric =
  | "revenue"
  | "net_revenue"
  | "orders"
  | "unique_customers"
  | "avg_order_value"
  | "profit_margin_pct";

export interface TileSpec {
  metric: TileMetric;
  label: string;
  kind: ValueKind;
  testId: string;
}

export const TILE_SPECS: readonly TileSpec[] = [
  { metric: "revenue", label: "Revenue", kind: "currency", testId: "tile-revenue" },
  { metric: "net_revenue", label: "Net revenue", kind: "currency", testId: "tile-net-revenue" },
  { metric: "orders", label: "Orders", kind: "count", testId: "tile-orders" },
  { metric: "unique_customers", label: "Unique customers", kind: "count", testId: "tile-customers" },
  { metric: "avg_order_value", label: "Average order value", kind: "currency", testId: "tile-aov" },
  { metric: "profit_margin_pct", label: "Profit margin", kind: "percent", testId: "tile-margin" },
];

/** Every metric the overview asks the API for: the tiles' and what the ratios are made of. */
export const OVERVIEW_METRICS = [...TILE_SPECS.map((t) => t.metric), "cost_of_goods"];
/**
 * Distinct over the whole range: answered from the range's sales (a scan of them), not from the
 * daily slices, so ~10–20× slower than the rest of the totals. Asked in a request of their own,
 * so the other tiles (the first screen) don't wait for them.
 */
export const RANGE_DISTINCT_METRICS: readonly string[] = ["unique_customers"];
/** The totals every tile but the range-distinct ones reads: the daily slices answer them. */
export const TOTAL_METRICS = OVERVIEW_METRICS.filter((m) => !RANGE_DISTINCT_METRICS.includes(m));

/** The API answers the overview of `view` reads, by role, when today is `today`. */
export function overviewUrls(view: ViewState, today: string) {
  const params = apiParams(resolveRange(view, today), view.filters);
  return {
    // The tiles' first figures come from the daily slices; the range's distinct customers (a scan
    // of its sales) follow in a request of their own.
    totals: apiUrl("/api/v1/query", {
      metrics: TOTAL_METRICS.join(","),
      grain: "range",
      compare: view.compare,
      ...params,
    }),
    distinct: apiUrl("/api/v1/query", {
      metrics: RANGE_DISTINCT_METRICS.join(","),
      grain: "range",
      compare: view.compare,
      ...params,
    }),
    days: apiUrl("/api/v1/query", { metrics: OVERVIEW_METRICS.join(","), grain: "day", ...params }),
    daily: apiUrl("/api/v1/kpis/daily", params),
    advanced: apiUrl("/api/v1/kpis/advanced", params),
  };
}

/**
 * What the first screen shows (tiles, sparklines, flags, charts): asked for in one request before
 * the first render. The range's distinct customers wait for the first screen (see `distinct`).
 */
export function firstScreenUrls(view: ViewState, today: string): string[] {
  const urls = overviewUrls(view, today);
  return [urls.totals, urls.days, urls.daily, urls.advanced];
}

export interface TileFigure {
  value: number | null;
  previous: number | null;
  /** Change against the comparison period in percent; null when there is nothing to compare. */
  changePct: number | null;
  spark: (number | null)[];
  /** No value yet because the figure is being recomputed (seconds after new data): "updating…". */
  pending?: boolean;
}

export type Figures = Record<TileMetric, TileFigure>;

/** (current − previous) / previous × 100, as the API computes `<metric>_change_pct`. */
export function growthPct(current: number | null, previous: number | null): number | null {
  if (current === null || previous === null || previous === 0) return null;
  return ((current - previous) / previous) * 100;
}

interface Sums {
  revenue: number;
  net_revenue: number;
  orders: number;
  cost_of_goods: number;
}

const num = (v: unknown): number | null => (typeof v === "number" ? v : null);

function ratios(s: Sums): Pick<Record<TileMetric, number | null>, "avg_order_value" | "profit_margin_pct"> {
  return {
    avg_order_value: s.orders === 0 ? null : s.revenue / s.orders,
    profit_margin_pct: s.net_revenue === 0 ? null : ((s.net_revenue - s.cost_of_goods) / s.net_revenue) * 100,
  };
}

/** Today's live figures for the view, when they can be folded in. */
export interface LiveToday {
  date: string;
  tiles: Tiles;
}

/**
 * @param totals `/query?grain=range&compare=…` (one row)
 * @param days `/query?grain=day` over the same range and filters; null while it loads (no
 *   sparklines, and nothing to fold live figures against yet)
 * @param live today's live tiles for the same filter, or null
 * @param distinct `/query?grain=range&compare=…` of `RANGE_DISTINCT_METRICS` when `totals` leaves
 *   them out; null while it loads (those tiles wait, the others show)
 */
export function tileFigures(
  totals: Answer,
  days: Answer | null,
  live: LiveToday | null,
  distinct: Answer | null = null,
): Figures {
  const answerOf = (name: string) =>
    totals.columns.some((c) => c.name === name) || !distinct ? totals : distinct;
  const total = (name: string) => num(column(answerOf(name), name)[0]);
  const periods = days ? column<string>(days, "period") : [];
  const todayIndex = live ? periods.lastIndexOf(live.date) : -1;
  const figures = {} as Figures;

  // What the live room adds beyond the API's today bucket (zero when it can't be folded in).
  const delta: Sums = { revenue: 0, net_revenue: 0, orders: 0, cost_of_goods: 0 };
  const spark = (metric: string) => (days ? column<number | null>(days, metric).map(num) : []);
  if (live && days && todayIndex >= 0) {
    const apiToday = (m: keyof Sums) => num(column(days, m)[todayIndex]) ?? 0;
    delta.revenue = live.tiles.revenue - apiToday("revenue");
    delta.net_revenue = live.tiles.net_revenue - apiToday("net_revenue");
    delta.orders = live.tiles.orders - apiToday("orders");
    delta.cost_of_goods = live.tiles.costs - apiToday("cost_of_goods");
  }
  const folded = todayIndex >= 0 && Object.values(delta).some((d) => d !== 0);
  const sums: Sums = {
    revenue: (total("revenue") ?? 0) + delta.revenue,
    net_revenue: (total("net_revenue") ?? 0) + delta.net_revenue,
    orders: (total("orders") ?? 0) + delta.orders,
    cost_of_goods: (total("cost_of_goods") ?? 0) + delta.cost_of_goods,
  };
  const todaySums: Sums | null =
    folded && live
      ? {
          revenue: live.tiles.revenue,
          net_revenue: live.tiles.net_revenue,
          orders: live.tiles.orders,
          cost_of_goods: live.tiles.costs,
        }
      : null;

  for (const { metric } of TILE_SPECS) {
    let value = total(metric);
    const line = spark(metric);
    if (folded && todaySums) {
      if (metric === "revenue" || metric === "net_revenue" || metric === "orders") {
        value = sums[metric];
        line[todayIndex] = todaySums[metric];
      } else if (metric === "avg_order_value" || metric === "profit_margin_pct") {
        value = ratios(sums)[metric];
        line[todayIndex] = ratios(todaySums)[metric];
      }
    }
    const previous = total(`${metric}_previous`);
    const pending = value === null && (answerOf(metric).freshness.pending?.length ?? 0) > 0;
    figures[metric] = {
      value,
      previous,
      changePct: growthPct(value, previous),
      spark: line,
      ...(pending ? { pending } : {}),
    };
  }
  return figures;
}

export type Tone = "good" | "bad" | "warn" | "neutral";
export interface Flag {
  name: "volatility" | "performance" | "trend";
  text: string;
  tone: Tone;
  /** The seed's own value, for titles and tests. */
  code: string;
}

const FLAG_WORDS: Record<string, [string, Tone]> = {
  HIGH_VOLATILITY: ["High volatility", "warn"],
  MODERATE_VOLATILITY: ["Moderate volatility", "warn"],
  STABLE: ["Stable", "neutral"],
  // Performance compares the day with its 7-day average (under 0.8×, over 1.2×).
  UNDERPERFORMING: ["Below average", "bad"],
  OVERPERFORMING: ["Above average", "good"],
  NORMAL: ["Near average", "neutral"],
  POSITIVE: ["Trending up", "good"],
  NEGATIVE: ["Trending down", "bad"],
};

/**
 * The seed's flags of the range's last day (they describe daily revenue): volatility and performance
 * from `/kpis/daily`, the week-over-week trend from `/kpis/advanced`.
 */
export function revenueFlags(daily: Answer | null, advanced: Answer | null, today?: string): Flag[] {
  const days = daily ? column<string>(daily, "date") : [];
  // Today is still under way: judging its half-day against whole days would always cry "below
  // average", so while the range ends today the flags describe the last complete day.
  const day =
    days.length > 1 && days[days.length - 1] === today ? days[days.length - 2] : days[days.length - 1];
  const on = (answer: Answer | null, name: string) => {
    if (!answer || day === undefined) return undefined;
    const i = column<string>(answer, "date").lastIndexOf(day);
    return i < 0 ? undefined : column<string>(answer, name)[i];
  };
  const flags: Flag[] = [];
  const add = (name: Flag["name"], code: string | undefined, stableText: string) => {
    if (!code) return;
    const [text, tone] = FLAG_WORDS[code] ?? [code.toLowerCase().replaceAll("_", " "), "neutral"];
    flags.push({ name, code, tone, text: code === "STABLE" ? stableText : text });
  };
  add("volatility", on(daily, "volatility_flag"), "Stable day to day");
  add("performance", on(daily, "performance_flag"), "Near average");
  add("trend", on(advanced, "trend_direction"), "Flat week on week");
  return flags;
}

/**
 * The live chart's columns: one point per minute of the last `window` minutes up to `asOf`
 * (epoch seconds), revenue 0 in minutes without sales (the room's series is sparse).
 */
export function denseMinutes(minutes: MinuteSeries, asOf: number, window: number): [number[], number[]] {
  const last = Math.floor(asOf / 60_000) * 60;
  const byMinute = new Map(minutes.t.map((t, i) => [t, minutes.revenue[i] ?? 0]));
  const xs: number[] = [];
  const ys: number[] = [];
  for (let t = last - (window - 1) * 60; t <= last; t += 60) {
    xs.push(t);
    ys.push(byMinute.get(t) ?? 0);
  }
  return [xs, ys];
}
