/**
 * `GET /api/v1/insights/daily[?date=YYYY-MM-DD]` (viewer) — the briefing of a day (yesterday in
 * the reporting timezone by default): figures against the day before and a week earlier, the
 * members behind the change in revenue, the seed's flags and the anomaly test, and the KPI API
 * links each number comes from.
 */
import { Hono } from "hono";
import { withDb } from "../db/client.ts";
import { requireRole } from "../http/auth.ts";
import { ApiError } from "../http/errors.ts";
import { addDays, isCalendarDate } from "../kpi/calendar.ts";
import { queryOf } from "../kpi/model-api.ts";
import { EARLIEST, known, LATEST } from "../kpi/params.ts";
import { reportContext } from "../kpi/reports/report.ts";
import { dailyBriefing } from "./load.ts";

export const insightsApi = new Hono<{ Bindings: Env }>();

insightsApi.get("/api/v1/insights/daily", requireRole("viewer"), async (c) => {
  const query = known(queryOf(c), ["date"]);
  const ctx = reportContext(c.env);
  const date = query.date ?? addDays(ctx.today, -1);
  if (!isCalendarDate(date) || date < EARLIEST || date > LATEST) {
    throw new ApiError(
      400,
      "invalid_date",
      `date must be a calendar date written YYYY-MM-DD (got "${date}").`,
    );
  }
  const { briefing, engine } = await withDb(c.env, (db) => dailyBriefing(db, date, ctx));
  c.header("Cache-Control", "no-store");
  return c.json({
    ...briefing,
    sources: engine.calls.map((call) => call.endpoint),
    as_of: new Date().toISOString(),
    freshness: engine.calls[0]?.freshness ?? null,
  });
});
