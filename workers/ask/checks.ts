/**
 * Answers about the seed's daily flags (`/kpis/daily`: volatility against the day before,
 * performance against the 7-day average) and anomalies (`/kpis/advanced`: revenue more than two
 * standard deviations from its 30-day average). The definitions are the KPI API's; these answers
 * pick the days and say what the flag means.
 */
import { metric } from "../kpi/model.ts";
import { type Column, columnar } from "../kpi/table.ts";
import { type Answered, type Label, rangeParams } from "./answer.ts";
import type { Engine } from "./engine.ts";
import { rowsOf } from "./engine.ts";
import { filterText, formatValue, pct, periodText } from "./format.ts";
import type { SemanticQuery } from "./intent.ts";

const revenue = metric("revenue");
const FLAG_MEANING: Record<string, string> = {
  HIGH_VOLATILITY: "revenue moved more than 25 % from the day before",
  MODERATE_VOLATILITY: "revenue moved more than 10 % from the day before",
  STABLE: "revenue moved 10 % or less from the day before",
  UNDERPERFORMING: "revenue below 80 % of its 7-day average",
  OVERPERFORMING: "revenue above 120 % of its 7-day average",
  NORMAL: "revenue within 80–120 % of its 7-day average",
};

function pick(table: { columns: Column[] }, names: string[]): Column[] {
  return table.columns.filter((c) => names.includes(c.name));
}

export async function answerFlags(engine: Engine, q: SemanticQuery, label: Label): Promise<Answered> {
  const flag = q.flag!;
  const call = await engine.run("daily", rangeParams(q));
  const money = (v: unknown) => formatValue(revenue, v === null ? null : Number(v), engine.ctx.currency);
  const names = [
    "date",
    "total_revenue",
    "prev_day_revenue",
    "seven_day_avg_revenue",
    "daily_growth_pct",
    flag.column,
  ];
  const columns = pick(call.table, names);
  const rows = rowsOf(call.table);
  const where = filterText(q.filters, label);
  const basis = (r: Record<string, unknown>) =>
    flag.column === "volatility_flag"
      ? `revenue ${money(r.total_revenue)} against ${money(r.prev_day_revenue)} the day before${r.daily_growth_pct === null ? "" : ` (${Number(r.daily_growth_pct) >= 0 ? "+" : "−"}${pct(Math.abs(Number(r.daily_growth_pct)))})`}`
      : `revenue ${money(r.total_revenue)} against a 7-day average of ${money(r.seven_day_avg_revenue)}`;
  if (flag.question === "was") {
    const r = rows[0];
    if (!r)
      return {
        answer: `There were no sales${where} ${periodText(q.range)} to flag.`,
        result: columnar(columns, [], {}),
      };
    const value = String(r[flag.column]);
    const yes = flag.values.includes(value);
    return {
      answer: `${yes ? "Yes" : "No"}: ${r.date}${where} was ${value} — ${basis(r)}; ${value} means ${FLAG_MEANING[value]}.`,
      result: columnar(columns, [r], {}),
    };
  }
  const hits = rows.filter((r) => flag.values.includes(String(r[flag.column])));
  const what = flag.values.join(" or ");
  const answer =
    hits.length === 0
      ? `No day${where} ${periodText(q.range)} was ${what} (${flag.values.map((v) => FLAG_MEANING[v]).join("; ")}).`
      : `${hits.length} day${hits.length === 1 ? " was" : "s were"} ${what}${where} ${periodText(q.range)}: ${hits.map((r) => `${r.date} (${basis(r)})`).join("; ")}.`;
  return {
    answer,
    result: columnar(columns, hits, {}),
    chart: { kind: "bar", x: "date", y: ["total_revenue"] },
  };
}

export async function answerAnomalies(engine: Engine, q: SemanticQuery, label: Label): Promise<Answered> {
  const call = await engine.run("advanced", rangeParams(q));
  const money = (v: unknown) => formatValue(revenue, v === null ? null : Number(v), engine.ctx.currency);
  const columns = pick(call.table, [
    "date",
    "total_revenue",
    "rolling_30d_avg",
    "rolling_30d_stddev",
    "z_score",
    "is_anomaly",
  ]);
  const hits = rowsOf(call.table).filter((r) => r.is_anomaly === true);
  const where = filterText(q.filters, label);
  const answer =
    hits.length === 0
      ? `No anomalies${where} ${periodText(q.range)}: no day's revenue was more than 2 standard deviations from its 30-day average.`
      : `${hits.length} anomal${hits.length === 1 ? "y" : "ies"}${where} ${periodText(q.range)} (revenue more than 2 standard deviations from its 30-day average): ${hits
          .map(
            (r) =>
              `${r.date}, revenue ${money(r.total_revenue)} against an average of ${money(r.rolling_30d_avg)} (z = ${Number(r.z_score).toFixed(2)})`,
          )
          .join("; ")}.`;
  return {
    answer,
    result: columnar(columns, hits, {}),
    chart: { kind: "bar", x: "date", y: ["total_revenue"] },
  };
}
