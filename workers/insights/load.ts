/**
 * The facts of a day's briefing, all through the KPI reports (`/query`, `/kpis/daily`,
 * `/kpis/advanced`, `/breakdown`) like every answer to a question.
 */
import { Engine, rowsOf } from "../ask/engine.ts";
import { explainChange } from "../ask/why.ts";
import type { Db } from "../db/client.ts";
import { addDays } from "../kpi/calendar.ts";
import { METRICS } from "../kpi/model.ts";
import type { ReportContext } from "../kpi/reports/report.ts";
import { growthPct } from "../kpi/series.ts";
import {
  BRIEFING_METRICS,
  type Briefing,
  type BriefingFacts,
  composeBriefing,
  type DayFlags,
} from "./briefing.ts";

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export async function loadBriefingFacts(engine: Engine, date: string): Promise<BriefingFacts> {
  const metrics = BRIEFING_METRICS.join(",");
  const day = rowsOf(
    (await engine.run("query", { metrics, grain: "range", from: date, to: date, compare: "previous_period" }))
      .table,
  )[0]!;
  const weekAgo = addDays(date, -7);
  const week = rowsOf(
    (await engine.run("query", { metrics, grain: "range", from: weekAgo, to: weekAgo })).table,
  )[0]!;
  const figures = BRIEFING_METRICS.map((m) => {
    const value = num(day[m]);
    const previous = num(day[`${m}_previous`]);
    const ago = num(week[m]);
    return {
      metric: m,
      label: METRICS.get(m)!.label,
      value,
      previous_day: previous,
      change_pct_vs_previous_day: num(day[`${m}_change_pct`]),
      week_ago: ago,
      change_pct_vs_week_ago: value === null || ago === null ? null : growthPct(value, ago),
    };
  });
  const daily = rowsOf((await engine.run("daily", { from: date, to: date })).table)[0];
  const advanced = rowsOf((await engine.run("advanced", { from: date, to: date })).table)[0];
  const flags: DayFlags | null =
    daily && advanced
      ? {
          volatility_flag: String(daily.volatility_flag),
          performance_flag: String(daily.performance_flag),
          seven_day_avg_revenue: num(daily.seven_day_avg_revenue),
          is_anomaly: advanced.is_anomaly === true,
          z_score: num(advanced.z_score),
          rolling_30d_avg: num(advanced.rolling_30d_avg),
        }
      : null;
  const change = await explainChange(engine, {
    metric: "revenue",
    filters: {},
    range: { from: date, to: date },
    compare: { mode: "previous_period", range: { from: addDays(date, -1), to: addDays(date, -1) } },
  });
  return { date, currency: engine.ctx.currency, figures, flags, change };
}

/** The briefing of `date`: what a subscriber's morning message and the overview both show. */
export async function dailyBriefing(
  db: Db,
  date: string,
  ctx: ReportContext,
): Promise<{ briefing: Briefing; engine: Engine }> {
  const engine = new Engine(db, ctx);
  return { briefing: composeBriefing(await loadBriefingFacts(engine, date)), engine };
}
