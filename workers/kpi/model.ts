/**
 * The semantic model: the one definition of every metric, dimension and time grain. The read APIs,
 * CSV export, the dashboard, alert rules and (later) natural-language questions all compile through
 * it — no other module writes the SQL of "revenue" or "region".
 *
 * A metric carries two SQL aggregates of the same quantity:
 * - `slice`: over `kpi_day_slice k` (the pipeline's incremental daily rollups, one dimension at a
 *   time), used for day-and-coarser grains with at most one slice filter. `dayOnly` marks measures
 *   that are not additive across days (distinct customers, percentiles): they are read from the
 *   slice only at the day grain. `recomputed` marks measures the pipeline recomputes after the
 *   batch (distinct counts, percentiles): while a slice awaits that (`kpi_dirty`), they read null.
 * - `silver`: over the live sales `silver_sales_clean s` (with `customer_first_sale f` joined when
 *   `needsFirstSale`), used for hours and minutes, products, several filters at once and the
 *   non-additive measures over longer buckets.
 * Both must agree on a day; the API tests hold them to it.
 *
 * Long because it is a catalogue: every metric, dimension and grain with its words, kept in one file
 * so a definition is found where its neighbours are. The stored measures' base sums come from the
 * registry (`measures.ts`), not from here.
 */
import { ADDITIVE_MEASURES, type AdditiveMeasure, SALE_GROSS_SQL } from "./measures.ts";

export type Unit = "currency" | "count" | "percent";

export interface Metric {
  name: string;
  label: string;
  description: string;
  /** Other ways people say it (for the question interface). */
  synonyms: string[];
  unit: Unit;
  /** How to show it: `currency` (2 decimals in the reporting currency), `integer`, `percent` (1 decimal). */
  format: "currency" | "integer" | "percent";
  /** Additive measures sum across buckets and members (a breakdown's shares make sense). */
  additive: boolean;
  /** The value of a bucket without sales: 0 for sums and counts, null for ratios and percentiles. */
  empty: 0 | null;
  slice?: { sql: string; dayOnly?: boolean; recomputed?: boolean };
  silver: string;
  needsFirstSale?: boolean;
}

type CurrencyMeasure = Extract<(typeof ADDITIVE_MEASURES)[number], { unit: "currency" }>;

/** What one live sale `s` is worth, per money metric: the registry's row-level definitions. */
export const SALE_AMOUNTS = Object.fromEntries(
  ADDITIVE_MEASURES.filter((m) => m.unit === "currency").map((m) => [m.metric.name, m.silver]),
) as { readonly [M in CurrencyMeasure as M["metric"]["name"]]: string };

const stored = (name: string) => ADDITIVE_MEASURES.find((m) => m.metric.name === name)! as AdditiveMeasure;

/** The metric summing a stored measure, from its registry entry. */
function summed(m: AdditiveMeasure, synonyms: string[] = []): Metric {
  return {
    ...m.metric,
    synonyms,
    unit: m.unit,
    format: m.unit === "currency" ? "currency" : "integer",
    additive: true,
    empty: 0,
    slice: { sql: `sum(k.${m.name})` },
    // count(*) rather than sum(1): zero, not null, over no sales.
    silver: m.name === "orders" ? "count(*)" : `sum(${m.silver})`,
  };
}

// The base aggregates; derived metrics are built from these strings, never restated.
const gross = summed(stored("revenue"));
const net = summed(stored("net_revenue"));
const cost = summed(stored("cost_of_goods"));
const orders = summed(stored("orders"));
const percentile = (p: number) => `percentile_cont(${p}) WITHIN GROUP (ORDER BY ${SALE_GROSS_SQL})`;

const METRIC_LIST: Metric[] = [
  summed(stored("revenue"), [
    "gross revenue",
    "sales",
    "turnover",
    "total revenue",
    "income",
    "takings",
    "gross sales",
    "top line",
  ]),
  summed(stored("net_revenue"), ["net sales", "revenue after discounts", "net"]),
  summed(stored("cost_of_goods"), [
    "costs",
    "cogs",
    "cost of sales",
    "total costs",
    "cost",
    "cost of goods sold",
  ]),
  {
    name: "gross_profit",
    label: "Gross profit",
    description: "Net revenue − cost of goods.",
    synonyms: ["profit", "margin amount", "earnings"],
    unit: "currency",
    format: "currency",
    additive: true,
    empty: 0,
    slice: { sql: `(${net.slice!.sql} - ${cost.slice!.sql})` },
    silver: `(${net.silver} - ${cost.silver})`,
  },
  {
    name: "profit_margin_pct",
    label: "Profit margin %",
    description: "Gross profit / net revenue × 100 (null without net revenue).",
    synonyms: [
      "margin",
      "profit margin",
      "gross margin",
      "margin percent",
      "margin percentage",
      "profitability",
    ],
    unit: "percent",
    format: "percent",
    additive: false,
    empty: null,
    slice: { sql: `(${net.slice!.sql} - ${cost.slice!.sql}) / nullif(${net.slice!.sql}, 0) * 100` },
    silver: `(${net.silver} - ${cost.silver}) / nullif(${net.silver}, 0) * 100`,
  },
  summed(stored("orders"), [
    "sales count",
    "number of orders",
    "transactions",
    "order count",
    "number of sales",
    "purchases",
    "order volume",
  ]),
  summed(stored("quantity"), [
    "units",
    "items sold",
    "volume",
    "total quantity",
    "quantity sold",
    "unit sales",
  ]),
  {
    name: "unique_customers",
    label: "Unique customers",
    description: "Distinct customers with a live sale in the bucket.",
    synonyms: [
      "customers",
      "buyers",
      "distinct customers",
      "active customers",
      "shoppers",
      "customer count",
      "number of customers",
      "clients",
    ],
    unit: "count",
    format: "integer",
    additive: false,
    empty: 0,
    slice: { sql: "sum(k.unique_customers)", dayOnly: true, recomputed: true },
    // The "C" collation compares bytes: the same distinct ids (equality under any deterministic
    // collation is byte equality), sorted 2-3× faster than under the database's locale.
    silver: 'count(DISTINCT s.customer_id COLLATE "C")',
  },
  {
    name: "avg_order_value",
    label: "Average order value",
    description: "Revenue / orders (null without orders) — not an average of averages.",
    synonyms: [
      "aov",
      "average basket",
      "average sale",
      "basket size",
      "average ticket",
      "revenue per order",
      "average order size",
      "average order",
      "avg order value",
    ],
    unit: "currency",
    format: "currency",
    additive: false,
    empty: null,
    slice: { sql: `${gross.slice!.sql} / nullif(${orders.slice!.sql}, 0)` },
    silver: `${gross.silver} / nullif(${orders.silver}, 0)`,
  },
  {
    name: "median_order_value",
    label: "Median order value",
    description: "percentile_cont(0.5) of the sales' gross amounts.",
    synonyms: ["median sale", "median basket", "typical order", "median order", "median order size"],
    unit: "currency",
    format: "currency",
    additive: false,
    empty: null,
    slice: { sql: "max(k.median_order_value)", dayOnly: true, recomputed: true },
    silver: percentile(0.5),
  },
  {
    name: "p90_order_value",
    label: "90th percentile order value",
    description: "percentile_cont(0.9) of the sales' gross amounts.",
    synonyms: ["p90", "large orders", "top decile order value", "90th percentile", "p90 order value"],
    unit: "currency",
    format: "currency",
    additive: false,
    empty: null,
    slice: { sql: "max(k.p90_order_value)", dayOnly: true, recomputed: true },
    silver: percentile(0.9),
  },
  {
    name: "new_customers",
    label: "New customers",
    description: "Customers whose first live sale (over the whole business) falls in the bucket.",
    synonyms: [
      "first-time buyers",
      "acquisitions",
      "new buyers",
      "customer acquisition",
      "new clients",
      "first-time customers",
    ],
    unit: "count",
    format: "integer",
    additive: true,
    empty: 0,
    // A customer has one first day, so daily counts add up across days.
    slice: { sql: "sum(k.new_customers)", recomputed: true },
    silver: 'count(DISTINCT s.customer_id COLLATE "C") FILTER (WHERE f.first_day = s.sale_date)',
    needsFirstSale: true,
  },
];

export interface Dimension {
  name: string;
  label: string;
  description: string;
  synonyms: string[];
  /** The `kpi_day_slice.dim` holding it, when the pipeline keeps a rollup for it. */
  slice?: string;
  /** The member of a live sale, over `silver_sales_clean s`. */
  silver: string;
  /** A readable name for a member, when the member is a code. */
  labelSql?: (member: string) => string;
}

const DIMENSION_LIST: Dimension[] = [
  {
    name: "region",
    label: "Region",
    description: "The sale's region code.",
    synonyms: ["area", "territory", "geography", "market", "location"],
    slice: "region",
    silver: "s.region",
  },
  {
    name: "segment",
    label: "Customer segment",
    description: "The customer's segment when the sale happened (SCD2); Unknown for customers not yet known.",
    synonyms: ["customer segment", "customer type", "tier", "customer group"],
    slice: "segment",
    silver: "s.customer_segment",
  },
  {
    name: "category",
    label: "Product category",
    description: "The product's category; Unknown for products not yet known.",
    synonyms: ["product category", "product line", "department", "product group"],
    slice: "category",
    silver: "s.product_category",
  },
  {
    name: "sales_rep",
    label: "Sales rep",
    description: "The sales rep's id; the empty member holds sales without a rep.",
    synonyms: ["salesperson", "rep", "account manager", "seller", "sales person"],
    slice: "sales_rep",
    silver: "coalesce(s.sales_rep_id, '')",
  },
  {
    name: "product",
    label: "Product",
    description: "The product's id (its name is the member's label).",
    synonyms: ["item", "sku", "article", "product name"],
    silver: "s.product_id",
    labelSql: (member) => `(SELECT p.product_name FROM dim_product p WHERE p.product_id = ${member})`,
  },
];

export interface Grain {
  name: string;
  label: string;
  synonyms: string[];
  /** `calendar` grains bucket reporting-timezone days; `clock` grains bucket local wall-clock time. */
  kind: "calendar" | "clock";
  /** The longest range (in days) a query at this grain may span. */
  maxRangeDays: number;
  /**
   * calendar: the bucket's first day, over a calendar row `c` (`c.date`, `c.fiscal_year`,
   * `c.fiscal_quarter`) — window functions allowed; `lookbackDays` covers the longest bucket so a
   * bucket cut by the range still knows where it starts. clock: a `date_trunc` unit and its step.
   */
  period: string;
  periodLabel: string;
  lookbackDays: number;
}

const CALENDAR_LIMIT = 25_567; // 70 years: every bucket a calendar dimension could hold
const GRAIN_LIST: Grain[] = [
  {
    name: "minute",
    label: "Minute",
    synonyms: ["per minute", "by the minute", "live"],
    kind: "clock",
    maxRangeDays: 2,
    period: "minute",
    periodLabel: 'YYYY-MM-DD"T"HH24:MI',
    lookbackDays: 0,
  },
  {
    name: "hour",
    label: "Hour",
    synonyms: ["hourly", "per hour", "by hour"],
    kind: "clock",
    maxRangeDays: 62,
    period: "hour",
    periodLabel: 'YYYY-MM-DD"T"HH24:00',
    lookbackDays: 0,
  },
  {
    name: "day",
    label: "Day",
    synonyms: ["daily", "per day", "by day", "date"],
    kind: "calendar",
    maxRangeDays: 3_660,
    period: "c.date",
    periodLabel: "to_char(c.date, 'YYYY-MM-DD')",
    lookbackDays: 0,
  },
  {
    name: "week",
    label: "Week (ISO)",
    synonyms: ["weekly", "per week", "by week", "iso week"],
    kind: "calendar",
    maxRangeDays: CALENDAR_LIMIT,
    period: "date_trunc('week', c.date)::date",
    periodLabel: "to_char(c.date, 'IYYY-\"W\"IW')",
    lookbackDays: 6,
  },
  {
    name: "month",
    label: "Month",
    synonyms: ["monthly", "per month", "by month"],
    kind: "calendar",
    maxRangeDays: CALENDAR_LIMIT,
    period: "date_trunc('month', c.date)::date",
    periodLabel: "to_char(c.date, 'YYYY-MM')",
    lookbackDays: 30,
  },
  {
    name: "quarter",
    label: "Quarter",
    synonyms: ["quarterly", "per quarter", "by quarter", "calendar quarter"],
    kind: "calendar",
    maxRangeDays: CALENDAR_LIMIT,
    period: "date_trunc('quarter', c.date)::date",
    periodLabel: "to_char(c.date, 'YYYY-\"Q\"Q')",
    lookbackDays: 91,
  },
  {
    name: "fiscal_quarter",
    label: "Fiscal quarter",
    synonyms: ["fiscal quarter", "fq", "financial quarter"],
    kind: "calendar",
    maxRangeDays: CALENDAR_LIMIT,
    // dim_time holds the fiscal calendar (its start month is chosen by fill_dim_time).
    period: "min(c.date) OVER (PARTITION BY c.fiscal_year, c.fiscal_quarter)",
    periodLabel: "'FY' || c.fiscal_year || '-Q' || c.fiscal_quarter",
    lookbackDays: 91,
  },
  {
    name: "year",
    label: "Year",
    synonyms: ["yearly", "annual", "per year", "by year"],
    kind: "calendar",
    maxRangeDays: CALENDAR_LIMIT,
    period: "date_trunc('year', c.date)::date",
    periodLabel: "to_char(c.date, 'YYYY')",
    lookbackDays: 365,
  },
  {
    // One bucket for the whole range: totals that can't be added up from smaller buckets (unique
    // customers, percentiles) for a dashboard's headline figures. Without look-back the calendar
    // starts at `from`, so the window's first day is the range's first day.
    name: "range",
    label: "Whole range",
    synonyms: ["whole range", "overall", "in total"],
    kind: "calendar",
    maxRangeDays: CALENDAR_LIMIT,
    period: "min(c.date) OVER ()",
    periodLabel:
      "to_char(min(c.date) OVER (), 'YYYY-MM-DD') || '/' || to_char(max(c.date) OVER (), 'YYYY-MM-DD')",
    lookbackDays: 0,
  },
];

// A stored measure added to the registry is a metric at once (with no synonyms until written).
for (const m of ADDITIVE_MEASURES as readonly AdditiveMeasure[]) {
  if (!METRIC_LIST.some((x) => x.name === m.metric.name)) METRIC_LIST.push(summed(m));
}

const byName = <T extends { name: string }>(list: T[]) => new Map(list.map((x) => [x.name, x]));

export const METRICS: ReadonlyMap<string, Metric> = byName(METRIC_LIST);
export const DIMENSIONS: ReadonlyMap<string, Dimension> = byName(DIMENSION_LIST);
export const GRAINS: ReadonlyMap<string, Grain> = byName(GRAIN_LIST);

/** Dimensions a request may filter on (`?region=EMEA&segment=SMB`). */
export const FILTER_NAMES = DIMENSION_LIST.map((d) => d.name);

/** The drill-down path of a breakdown: region → segment → product → the underlying sales. */
export const DRILL_PATH = ["region", "segment", "product", "sale"] as const;

/** The metrics one day of `/kpis/daily` and `/kpis/advanced` is made of. */
export const DAY_MEASURES = [
  "orders",
  "unique_customers",
  "quantity",
  "revenue",
  "net_revenue",
  "cost_of_goods",
  "median_order_value",
  "p90_order_value",
] as const;

/**
 * The month the fiscal year starts in (1 = January): the argument the migrations give
 * `fill_dim_time`, whose fiscal columns the fiscal-quarter grain reads. Questions about "Q3 FY2026"
 * resolve dates with it; a test holds the two equal.
 */
export const FISCAL_YEAR_START_MONTH = 1;

/** Bumped when a definition changes, so cached answers computed with the old one are not served. */
export const MODEL_VERSION = "2026-12-03.1";

export function metric(name: string): Metric {
  const m = METRICS.get(name);
  if (!m) throw new Error(`no metric ${name}`);
  return m;
}

export function dimension(name: string): Dimension {
  const d = DIMENSIONS.get(name);
  if (!d) throw new Error(`no dimension ${name}`);
  return d;
}

/** The machine-readable catalogue served at `GET /api/v1/model` (no SQL leaves the server). */
export function catalogue(config: { timeZone: string; currency: string }) {
  return {
    version: MODEL_VERSION,
    timezone: config.timeZone,
    currency: config.currency,
    metrics: METRIC_LIST.map((m) => ({
      name: m.name,
      label: m.label,
      description: m.description,
      synonyms: m.synonyms,
      unit: m.unit,
      format: m.format,
      additive: m.additive,
      ...(m.unit === "currency" ? { currency: config.currency } : {}),
    })),
    dimensions: DIMENSION_LIST.map((d) => ({
      name: d.name,
      label: d.label,
      description: d.description,
      synonyms: d.synonyms,
      filter: d.name,
      drill_next: drillNext(d.name),
    })),
    grains: GRAIN_LIST.map((g) => ({
      name: g.name,
      label: g.label,
      synonyms: g.synonyms,
      max_range_days: g.maxRangeDays,
      ...(g.kind === "clock" ? { timezone: config.timeZone } : {}),
    })),
    compare: ["previous_period", "previous_year"],
  };
}

/**
 * The next level of a drill-down after `by`: along the path, then the sales themselves; from a
 * dimension off the path (category, sales rep), to its products.
 */
export function drillNext(by: string): string | null {
  if (by === "sale") return null;
  const i = DRILL_PATH.indexOf(by as (typeof DRILL_PATH)[number]);
  return i >= 0 ? DRILL_PATH[i + 1]! : "product";
}
