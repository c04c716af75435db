// Longer than the usual file on purpose: it is the test data set, one question per line, read as a table.
/**
 * The question test set (only test files import it): plain-English questions about the generated
 * dataset, each with the interpretation it must get — written by hand from the calendar, not by
 * the parser — and, from `reference.ts`, the numbers the answer must carry. Today is 2058-11-26, a
 * Tuesday; the fiscal year starts in January.
 */
import { addDays, addYears } from "../../kpi/calendar.ts";
import type { Filters, Range } from "./reference.ts";
import { TODAY } from "./today.ts";

const r = (from: string, to = from): Range => ({ from, to });
const lastDays = (n: number) => r(addDays(TODAY, -(n - 1)), TODAY);
/** The same number of days just before (the API's `previous_period`). */
export const before = (x: Range): Range => {
  const days = Math.round((Date.parse(x.to) - Date.parse(x.from)) / 86_400_000) + 1;
  return r(addDays(x.from, -days), addDays(x.from, -1));
};
export const yearBefore = (x: Range): Range => r(addYears(x.from, -1), addYears(x.to, -1));

export const Y = r("2058-11-25");
const T = r(TODAY);
const THIS_WEEK = r("2058-11-25", TODAY);
const LAST_WEEK = r("2058-11-18", "2058-11-24");
const THIS_MONTH = r("2058-11-01", TODAY);
const LAST_MONTH = r("2058-10-01", "2058-10-31");
const THIS_Q = r("2058-10-01", TODAY);
const LAST_Q = r("2058-07-01", "2058-09-30");
const THIS_Y = r("2058-01-01", TODAY);
const LAST_Y = r("2057-01-01", "2057-12-31");
const Q2 = r("2058-04-01", "2058-06-30");
const L7 = lastDays(7);
const L30 = lastDays(30);
const MARCH = r("2058-03-01", "2058-03-31");

export type Expected =
  | { shape: "value"; metrics: string[]; range: Range; filters?: Filters }
  | { shape: "compare"; metrics: string[]; range: Range; compare: Range; mode: string; filters?: Filters }
  | { shape: "members"; metrics: string[]; by: string; members: string[]; range: Range; filters?: Filters }
  | { shape: "share"; metrics: string[]; by: string; members: string[]; range: Range; filters?: Filters }
  | {
      shape: "rank";
      metric: string;
      by: string;
      sort: "asc" | "desc";
      limit: number;
      range: Range;
      filters?: Filters;
    }
  | { shape: "breakdown"; metric: string; by: string; range: Range; filters?: Filters }
  | { shape: "trend"; metrics: string[]; grain: string; range: Range; filters?: Filters; compare?: Range }
  | {
      shape: "flags";
      column: string;
      values: string[];
      question: "was" | "which";
      range: Range;
      filters?: Filters;
    }
  | { shape: "anomalies"; range: Range; filters?: Filters }
  | { shape: "why"; metric: string; range: Range; compare: Range; filters?: Filters };

const v = (metrics: string | string[], range: Range, filters?: Filters): Expected => ({
  shape: "value",
  metrics: typeof metrics === "string" ? [metrics] : metrics,
  range,
  ...(filters ? { filters } : {}),
});
const cmp = (
  metrics: string | string[],
  range: Range,
  compare: Range,
  mode: string,
  filters?: Filters,
): Expected => ({
  shape: "compare",
  metrics: typeof metrics === "string" ? [metrics] : metrics,
  range,
  compare,
  mode,
  ...(filters ? { filters } : {}),
});
const rank = (
  metric: string,
  by: string,
  sort: "asc" | "desc",
  limit: number,
  range: Range,
  filters?: Filters,
): Expected => ({
  shape: "rank",
  metric,
  by,
  sort,
  limit,
  range,
  ...(filters ? { filters } : {}),
});
const brk = (metric: string, by: string, range: Range, filters?: Filters): Expected => ({
  shape: "breakdown",
  metric,
  by,
  range,
  ...(filters ? { filters } : {}),
});
const trend = (
  metrics: string | string[],
  grain: string,
  range: Range,
  filters?: Filters,
  compare?: Range,
): Expected => ({
  shape: "trend",
  metrics: typeof metrics === "string" ? [metrics] : metrics,
  grain,
  range,
  ...(filters ? { filters } : {}),
  ...(compare ? { compare } : {}),
});
const why = (metric: string, range: Range, compare: Range, filters?: Filters): Expected => ({
  shape: "why",
  metric,
  range,
  compare,
  ...(filters ? { filters } : {}),
});

export const ANSWERED: [string, Expected][] = [
  // A single value: every metric by name and synonym, every kind of period, every dimension.
  ["What was revenue yesterday?", v("revenue", Y)],
  ["revenue today", v("revenue", T)],
  ["Sales last week", v("revenue", LAST_WEEK)],
  ["turnover this month", v("revenue", THIS_MONTH)],
  ["How much did we sell last month?", v("revenue", LAST_MONTH)],
  ["gross revenue in Q3 FY2058", v("revenue", LAST_Q)],
  ["Net revenue last quarter", v("net_revenue", LAST_Q)],
  ["net sales YTD", v("net_revenue", THIS_Y)],
  ["cost of goods last year", v("cost_of_goods", LAST_Y)],
  ["COGS this quarter", v("cost_of_goods", THIS_Q)],
  ["profit last month", v("gross_profit", LAST_MONTH)],
  ["gross profit in 2057", v("gross_profit", LAST_Y)],
  ["profit margin this year", v("profit_margin_pct", THIS_Y)],
  ["What's our margin in the last 30 days?", v("profit_margin_pct", L30)],
  ["How many orders yesterday?", v("orders", Y)],
  ["number of orders last week", v("orders", LAST_WEEK)],
  ["how many sales did we make today", v("orders", T)],
  ["transactions in March", v("orders", MARCH)],
  ["units sold last month", v("quantity", LAST_MONTH)],
  ["How many units did we sell this week?", v("quantity", THIS_WEEK)],
  ["volume in the last 7 days", v("quantity", L7)],
  ["unique customers last week", v("unique_customers", LAST_WEEK)],
  ["How many buyers did we have this month?", v("unique_customers", THIS_MONTH)],
  ["active customers in Q2", v("unique_customers", Q2)],
  ["average order value yesterday", v("avg_order_value", Y)],
  ["basket size last month", v("avg_order_value", LAST_MONTH)],
  ["AOV MTD", v("avg_order_value", THIS_MONTH)],
  ["median order value this quarter", v("median_order_value", THIS_Q)],
  ["p90 order value last week", v("p90_order_value", LAST_WEEK)],
  ["90th percentile order value in October", v("p90_order_value", LAST_MONTH)],
  ["new customers this year", v("new_customers", THIS_Y)],
  ["How many first-time buyers in 2057?", v("new_customers", LAST_Y)],
  ["total revenue in 2057", v("revenue", LAST_Y)],
  ["income last month", v("revenue", LAST_MONTH)],
  ["revenue in EMEA yesterday", v("revenue", Y, { region: "EMEA" })],
  ["emea revenue last week", v("revenue", LAST_WEEK, { region: "EMEA" })],
  ["Revenue in the APAC region this month", v("revenue", THIS_MONTH, { region: "APAC" })],
  ["LATAM sales last quarter", v("revenue", LAST_Q, { region: "LATAM" })],
  ["North Atlantic turnover YTD", v("revenue", THIS_Y, { region: "North Atlantic" })],
  ["north africa orders last month", v("orders", LAST_MONTH, { region: "North Africa" })],
  ["Enterprise segment revenue last month", v("revenue", LAST_MONTH, { segment: "Enterprise" })],
  ["revenue from SMB customers this quarter", v("revenue", THIS_Q, { segment: "SMB" })],
  ["public sector revenue this year", v("revenue", THIS_Y, { segment: "Public Sector" })],
  ["Consumer segment orders yesterday", v("orders", Y, { segment: "Consumer" })],
  ["Electronics revenue last month", v("revenue", LAST_MONTH, { category: "Electronics" })],
  ["revenue in the furniture category this quarter", v("revenue", THIS_Q, { category: "Furniture" })],
  ["office supplies units sold in 2057", v("quantity", LAST_Y, { category: "Office Supplies" })],
  ["software sales last week", v("revenue", LAST_WEEK, { category: "Software" })],
  ["Aurora Desk Lamp revenue this year", v("revenue", THIS_Y, { product: "ask-p01" })],
  ["How many Zephyr Headphones did we sell last month?", v("quantity", LAST_MONTH, { product: "ask-p02" })],
  ["falcon laptop orders this quarter", v("orders", THIS_Q, { product: "ask-p06" })],
  ["revenue of the Quartz Monitor in Q3 FY2058", v("revenue", LAST_Q, { product: "ask-p05" })],
  ["Vertex Suite net revenue last year", v("net_revenue", LAST_Y, { product: "ask-p11" })],
  ["revenue for Aurelie Vantongeren last month", v("revenue", LAST_MONTH, { sales_rep: "ask-rep1" })],
  ["Bartholomew Quist's orders this year", v("orders", THIS_Y, { sales_rep: "ask-rep2" })],
  [
    "revenue in EMEA for the enterprise segment last month",
    v("revenue", LAST_MONTH, { region: "EMEA", segment: "Enterprise" }),
  ],
  [
    "APAC electronics revenue this quarter",
    v("revenue", THIS_Q, { region: "APAC", category: "Electronics" }),
  ],
  ["revenue and orders yesterday", v(["revenue", "orders"], Y)],
  ["orders, units and customers last week", v(["orders", "quantity", "unique_customers"], LAST_WEEK)],
  ["revnue last week", v("revenue", LAST_WEEK)],
  ["reveune in emae yesterday", v("revenue", Y, { region: "EMEA" })],
  ["ordrs this month", v("orders", THIS_MONTH)],
  ["Electornics revenue last month", v("revenue", LAST_MONTH, { category: "Electronics" })],
  ["zephyr headphone revenue this year", v("revenue", THIS_Y, { product: "ask-p02" })],
  ["revenue from 3 to 17 November", v("revenue", r("2058-11-03", "2058-11-17"))],
  ["revenue between 1 and 15 October", v("revenue", r("2058-10-01", "2058-10-15"))],
  ["orders from 2058-06-01 to 2058-06-30", v("orders", r("2058-06-01", "2058-06-30"))],
  ["revenue since March", v("revenue", r("2058-03-01", TODAY))],
  ["revenue in March 2057", v("revenue", r("2057-03-01", "2057-03-31"))],
  ["orders on 2058-11-20", v("orders", r("2058-11-20"))],
  ["revenue on 15 June 2057", v("revenue", r("2057-06-15"))],
  ["revenue last Tuesday", v("revenue", r("2058-11-19"))],
  ["orders on Monday", v("orders", r("2058-11-25"))],
  ["revenue last Friday", v("revenue", r("2058-11-22"))],
  ["revenue the day before yesterday", v("revenue", r("2058-11-24"))],
  ["revenue in the last 14 days", v("revenue", lastDays(14))],
  ["orders in the past 3 months", v("orders", r("2058-08-27", TODAY))],
  ["revenue over the last 2 weeks", v("revenue", lastDays(14))],
  ["revenue QTD", v("revenue", THIS_Q)],
  ["revenue in Q4 2057", v("revenue", r("2057-10-01", "2057-12-31"))],
  ["revenue in FY2057", v("revenue", LAST_Y)],
  ["revenue for fiscal Q1 2058", v("revenue", r("2058-01-01", "2058-03-31"))],
  ["revenue from March to May", v("revenue", r("2058-03-01", "2058-05-31"))],
  ["revenue this week", v("revenue", THIS_WEEK)],
  ["revenue in the past week", v("revenue", L7)],
  ["new customers in EMEA last quarter", v("new_customers", LAST_Q, { region: "EMEA" })],
  ["median basket in LATAM this year", v("median_order_value", THIS_Y, { region: "LATAM" })],
  ["margin for software last month", v("profit_margin_pct", LAST_MONTH, { category: "Software" })],
  ["cost of sales in APAC yesterday", v("cost_of_goods", Y, { region: "APAC" })],
  ["sales on 12 November", v("revenue", r("2058-11-12"))],
  ["What were takings in December 2057?", v("revenue", r("2057-12-01", "2057-12-31"))],
  [
    "profit margin for Cosima Lindqvist this quarter",
    v("profit_margin_pct", THIS_Q, { sales_rep: "ask-rep3" }),
  ],
  // Comparisons.
  [
    "revenue in EMEA last week vs the week before",
    cmp("revenue", LAST_WEEK, before(LAST_WEEK), "previous_period", { region: "EMEA" }),
  ],
  [
    "revenue last week compared to the previous week",
    cmp("revenue", LAST_WEEK, before(LAST_WEEK), "previous_period"),
  ],
  [
    "orders this month vs same period last year",
    cmp("orders", THIS_MONTH, yearBefore(THIS_MONTH), "previous_year"),
  ],
  ["revenue growth last month", cmp("revenue", LAST_MONTH, before(LAST_MONTH), "previous_period")],
  ["How did revenue change yesterday?", cmp("revenue", Y, before(Y), "previous_period")],
  ["revenue yoy this quarter", cmp("revenue", THIS_Q, yearBefore(THIS_Q), "previous_year")],
  ["revenue in March vs April", cmp("revenue", MARCH, r("2058-04-01", "2058-04-30"), "range")],
  ["revenue this month vs last month", cmp("revenue", THIS_MONTH, LAST_MONTH, "range")],
  ["orders in 2058 vs 2057", cmp("orders", THIS_Y, LAST_Y, "range")],
  ["Q3 FY2058 revenue vs Q2 FY2058", cmp("revenue", LAST_Q, Q2, "range")],
  [
    "customers last week vs the week before",
    cmp("unique_customers", LAST_WEEK, before(LAST_WEEK), "previous_period"),
  ],
  ["Revenue yesterday vs a year ago", cmp("revenue", Y, yearBefore(Y), "previous_year")],
  [
    "EMEA margin last month vs the month before",
    cmp("profit_margin_pct", LAST_MONTH, before(LAST_MONTH), "previous_period", { region: "EMEA" }),
  ],
  [
    "revenue increase in APAC this quarter",
    cmp("revenue", THIS_Q, before(THIS_Q), "previous_period", { region: "APAC" }),
  ],
  ["did orders go up last week?", cmp("orders", LAST_WEEK, before(LAST_WEEK), "previous_period")],
  [
    "revenue and AOV last week vs the week before",
    cmp(["revenue", "avg_order_value"], LAST_WEEK, before(LAST_WEEK), "previous_period"),
  ],
  [
    "furniture units this year vs last year",
    cmp("quantity", THIS_Y, LAST_Y, "range", { category: "Furniture" }),
  ],
  // Members side by side.
  [
    "EMEA vs APAC revenue last quarter",
    { shape: "members", metrics: ["revenue"], by: "region", members: ["EMEA", "APAC"], range: LAST_Q },
  ],
  [
    "revenue in LATAM and North Africa last month",
    {
      shape: "members",
      metrics: ["revenue"],
      by: "region",
      members: ["LATAM", "North Africa"],
      range: LAST_MONTH,
    },
  ],
  [
    "Enterprise vs SMB orders this year",
    { shape: "members", metrics: ["orders"], by: "segment", members: ["Enterprise", "SMB"], range: THIS_Y },
  ],
  [
    "Electronics vs Furniture margin last month",
    {
      shape: "members",
      metrics: ["profit_margin_pct"],
      by: "category",
      members: ["Electronics", "Furniture"],
      range: LAST_MONTH,
    },
  ],
  [
    "Falcon Laptop vs Quartz Monitor units this year",
    {
      shape: "members",
      metrics: ["quantity"],
      by: "product",
      members: ["ask-p06", "ask-p05"],
      range: THIS_Y,
    },
  ],
  [
    "compare Aurora Desk Lamp and Nimbus Stool revenue last week",
    {
      shape: "members",
      metrics: ["revenue"],
      by: "product",
      members: ["ask-p01", "ask-p04"],
      range: LAST_WEEK,
    },
  ],
  // A member's share of the whole.
  [
    "What percentage of revenue came from EMEA last month?",
    { shape: "share", metrics: ["revenue"], by: "region", members: ["EMEA"], range: LAST_MONTH },
  ],
  [
    "Enterprise share of orders this year",
    { shape: "share", metrics: ["orders"], by: "segment", members: ["Enterprise"], range: THIS_Y },
  ],
  [
    "what proportion of units did Falcon Laptop account for last quarter",
    { shape: "share", metrics: ["quantity"], by: "product", members: ["ask-p06"], range: LAST_Q },
  ],
  [
    "share of profit from software in 2057",
    { shape: "share", metrics: ["gross_profit"], by: "category", members: ["Software"], range: LAST_Y },
  ],
  // Rankings.
  ["top 5 products by revenue last month", rank("revenue", "product", "desc", 5, LAST_MONTH)],
  ["worst region last quarter", rank("revenue", "region", "asc", 1, LAST_Q)],
  ["best region by orders this year", rank("orders", "region", "desc", 1, THIS_Y)],
  [
    "Which segment had the most customers last month?",
    rank("unique_customers", "segment", "desc", 1, LAST_MONTH),
  ],
  ["top 3 categories by profit this year", rank("gross_profit", "category", "desc", 3, THIS_Y)],
  ["bottom 3 products by units sold last month", rank("quantity", "product", "asc", 3, LAST_MONTH)],
  ["Which product sold the most this week?", rank("revenue", "product", "desc", 1, THIS_WEEK)],
  ["lowest margin category this quarter", rank("profit_margin_pct", "category", "asc", 1, THIS_Q)],
  [
    "top 10 products in EMEA last month",
    rank("revenue", "product", "desc", 10, LAST_MONTH, { region: "EMEA" }),
  ],
  ["top 3 sales reps by revenue this year", rank("revenue", "sales_rep", "desc", 3, THIS_Y)],
  ["most profitable region last year", rank("gross_profit", "region", "desc", 1, LAST_Y)],
  ["busiest day last month", rank("orders", "day", "desc", 1, LAST_MONTH)],
  ["worst 3 days this month by revenue", rank("revenue", "day", "asc", 3, THIS_MONTH)],
  ["best month this year", rank("revenue", "month", "desc", 1, THIS_Y)],
  ["which week had the highest revenue this quarter", rank("revenue", "week", "desc", 1, THIS_Q)],
  ["top 2 regions by average order value this year", rank("avg_order_value", "region", "desc", 2, THIS_Y)],
  [
    "biggest product in Electronics last quarter",
    rank("revenue", "product", "desc", 1, LAST_Q, { category: "Electronics" }),
  ],
  // Breakdowns.
  ["revenue by region last month", brk("revenue", "region", LAST_MONTH)],
  ["orders per category this year", brk("orders", "category", THIS_Y)],
  ["aov by segment last quarter", brk("avg_order_value", "segment", LAST_Q)],
  ["revenue by product yesterday", brk("revenue", "product", Y)],
  ["margin by category in 2057", brk("profit_margin_pct", "category", LAST_Y)],
  ["customers by region this month", brk("unique_customers", "region", THIS_MONTH)],
  ["new customers per segment this year", brk("new_customers", "segment", THIS_Y)],
  ["units by product in EMEA last week", brk("quantity", "product", LAST_WEEK, { region: "EMEA" })],
  ["revenue for each sales rep this quarter", brk("revenue", "sales_rep", THIS_Q)],
  ["net revenue across regions YTD", brk("net_revenue", "region", THIS_Y)],
  [
    "revenue split by category for the enterprise segment last month",
    brk("revenue", "category", LAST_MONTH, { segment: "Enterprise" }),
  ],
  ["Which regions had sales yesterday?", brk("revenue", "region", Y)],
  ["p90 order value by category last month", brk("p90_order_value", "category", LAST_MONTH)],
  // Trends.
  ["daily orders this month", trend("orders", "day", THIS_MONTH)],
  ["weekly revenue this quarter", trend("revenue", "week", THIS_Q)],
  ["monthly revenue this year", trend("revenue", "month", THIS_Y)],
  ["revenue trend in the last 30 days", trend("revenue", "day", L30)],
  ["quarterly revenue in 2057", trend("revenue", "quarter", LAST_Y)],
  ["hourly revenue yesterday", trend("revenue", "hour", Y)],
  ["daily revenue in EMEA last week", trend("revenue", "day", LAST_WEEK, { region: "EMEA" })],
  ["monthly new customers in 2057", trend("new_customers", "month", LAST_Y)],
  ["revenue by fiscal quarter in 2057", trend("revenue", "fiscal_quarter", LAST_Y)],
  [
    "daily orders last week vs the previous period",
    trend("orders", "day", LAST_WEEK, undefined, before(LAST_WEEK)),
  ],
  ["weekly units sold in Q3 FY2058", trend("quantity", "week", LAST_Q)],
  ["daily revenue and orders this week", trend(["revenue", "orders"], "day", THIS_WEEK)],
  // The seed's flags.
  [
    "was yesterday's volatility high?",
    { shape: "flags", column: "volatility_flag", values: ["HIGH_VOLATILITY"], question: "was", range: Y },
  ],
  [
    "which days this month underperformed?",
    {
      shape: "flags",
      column: "performance_flag",
      values: ["UNDERPERFORMING"],
      question: "which",
      range: THIS_MONTH,
    },
  ],
  [
    "Did revenue overperform on 2058-11-12?",
    {
      shape: "flags",
      column: "performance_flag",
      values: ["OVERPERFORMING"],
      question: "was",
      range: r("2058-11-12"),
    },
  ],
  [
    "which days last month were highly volatile?",
    {
      shape: "flags",
      column: "volatility_flag",
      values: ["HIGH_VOLATILITY"],
      question: "which",
      range: LAST_MONTH,
    },
  ],
  [
    "was yesterday's volatility stable?",
    { shape: "flags", column: "volatility_flag", values: ["STABLE"], question: "was", range: Y },
  ],
  [
    "underperforming days in EMEA last month",
    {
      shape: "flags",
      column: "performance_flag",
      values: ["UNDERPERFORMING"],
      question: "which",
      range: LAST_MONTH,
      filters: { region: "EMEA" },
    },
  ],
  [
    "which days were volatile last week",
    {
      shape: "flags",
      column: "volatility_flag",
      values: ["HIGH_VOLATILITY", "MODERATE_VOLATILITY"],
      question: "which",
      range: LAST_WEEK,
    },
  ],
  // Anomalies.
  ["any anomalies this week?", { shape: "anomalies", range: THIS_WEEK }],
  ["any anomalies this month?", { shape: "anomalies", range: THIS_MONTH }],
  ["show unusual days in the last 90 days", { shape: "anomalies", range: lastDays(90) }],
  ["anomalies in APAC this month", { shape: "anomalies", range: THIS_MONTH, filters: { region: "APAC" } }],
  ["were there any revenue spikes last month?", { shape: "anomalies", range: LAST_MONTH }],
  // Why.
  ["why did revenue drop yesterday?", why("revenue", Y, before(Y))],
  ["Why did orders change last week?", why("orders", LAST_WEEK, before(LAST_WEEK))],
  ["what drove revenue growth this month?", why("revenue", THIS_MONTH, before(THIS_MONTH))],
  ["why was EMEA revenue down last week?", why("revenue", LAST_WEEK, before(LAST_WEEK), { region: "EMEA" })],
  ["explain the change in profit yesterday", why("gross_profit", Y, before(Y))],
  [
    "why did revenue change on 2058-11-12 vs the day before",
    why("revenue", r("2058-11-12"), r("2058-11-11")),
  ],
  ["what caused the drop in units last month", why("quantity", LAST_MONTH, before(LAST_MONTH))],
  [
    "why did average order value fall this week vs the same period last year",
    why("avg_order_value", THIS_WEEK, yearBefore(THIS_WEEK)),
  ],
];
