/**
 * The daily briefing (pure): what moved on a day and why, in a few sentences, from facts the KPI
 * engine computed (`load.ts` gathers them). Delivery — a subscriber's morning message through the
 * alert channels — calls `composeBriefing` with the same facts, so the page and the message say
 * the same thing.
 */
import { formatChange, formatValue, metricOf } from "../ask/format.ts";
import type { Change } from "../ask/why.ts";
import { driversText } from "../ask/why.ts";

export const BRIEFING_METRICS = ["revenue", "orders", "unique_customers", "avg_order_value"] as const;

export interface Figure {
  metric: string;
  label: string;
  value: number | null;
  previous_day: number | null;
  change_pct_vs_previous_day: number | null;
  week_ago: number | null;
  change_pct_vs_week_ago: number | null;
}

export interface DayFlags {
  volatility_flag: string;
  performance_flag: string;
  seven_day_avg_revenue: number | null;
  is_anomaly: boolean;
  z_score: number | null;
  rolling_30d_avg: number | null;
}

export interface BriefingFacts {
  date: string;
  currency: string;
  figures: Figure[];
  /** Null when the day has no sales history yet (the flags need one). */
  flags: DayFlags | null;
  /** Revenue against the day before, with the members that moved it. */
  change: Change;
}

export interface Briefing {
  date: string;
  headline: string;
  sentences: string[];
  text: string;
  figures: Figure[];
  drivers: Change["drivers"];
  flags: DayFlags | null;
}

const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const weekday = (date: string) => WEEKDAYS[new Date(`${date}T00:00:00Z`).getUTCDay()]!;

const FLAG_WORDS: Record<string, string> = {
  HIGH_VOLATILITY: "high volatility (a move of more than 25 % from the day before)",
  MODERATE_VOLATILITY: "moderate volatility (a move of more than 10 % from the day before)",
  STABLE: "stable (within 10 % of the day before)",
  UNDERPERFORMING: "underperforming (below 80 % of its 7-day average",
  OVERPERFORMING: "overperforming (above 120 % of its 7-day average",
  NORMAL: "normal (within 80–120 % of its 7-day average",
};

export function composeBriefing(f: BriefingFacts): Briefing {
  const fmt = (metric: string, v: number | null) => formatValue(metricOf(metric), v, f.currency);
  const revenue = f.figures.find((x) => x.metric === "revenue")!;
  const day = `${weekday(f.date)} ${f.date}`;
  const sentences: string[] = [];
  if (revenue.value === 0 && (revenue.previous_day ?? 0) === 0 && (revenue.week_ago ?? 0) === 0) {
    sentences.push(`No sales were recorded on ${day}, the day before or a week earlier.`);
    return {
      date: f.date,
      headline: sentences[0]!,
      sentences,
      text: sentences[0]!,
      figures: f.figures,
      drivers: [],
      flags: f.flags,
    };
  }
  const headline = `Revenue ${fmt("revenue", revenue.value)} on ${day}, ${formatChange(revenue.change_pct_vs_previous_day, revenue.previous_day)} on the day before.`;
  sentences.push(
    `On ${day} revenue was ${fmt("revenue", revenue.value)}, ${formatChange(revenue.change_pct_vs_previous_day, revenue.previous_day)} on the day before (${fmt("revenue", revenue.previous_day)}) and ${formatChange(revenue.change_pct_vs_week_ago, revenue.week_ago)} on ${weekday(f.date)} a week earlier (${fmt("revenue", revenue.week_ago)}).`,
  );
  const others = f.figures
    .filter((x) => x.metric !== "revenue")
    .map(
      (x) =>
        `${x.label.toLowerCase()} ${fmt(x.metric, x.value)} (${formatChange(x.change_pct_vs_previous_day, x.previous_day)})`,
    );
  sentences.push(`${others.join(", ").replace(/^./, (c) => c.toUpperCase())}, against the day before.`);
  const drivers = driversText(f.change, f.currency);
  if (drivers) sentences.push(`Behind the change in revenue: ${drivers}`);
  if (f.flags) {
    const average = ` of ${fmt("revenue", f.flags.seven_day_avg_revenue)})`;
    sentences.push(
      `The day was ${FLAG_WORDS[f.flags.volatility_flag]} and ${FLAG_WORDS[f.flags.performance_flag]}${average}.`,
    );
    const z = f.flags.z_score === null ? null : f.flags.z_score.toFixed(1);
    sentences.push(
      f.flags.is_anomaly
        ? `Anomaly: revenue was ${z} standard deviations from its 30-day average of ${fmt("revenue", f.flags.rolling_30d_avg)}.`
        : `No anomaly${z === null ? "" : ` (${z} standard deviations from the 30-day average)`}.`,
    );
  }
  return {
    date: f.date,
    headline,
    sentences,
    text: sentences.join(" "),
    figures: f.figures,
    drivers: f.change.drivers,
    flags: f.flags,
  };
}
