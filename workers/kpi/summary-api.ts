/** Read APIs over the KPI rollups (viewer token). */
import { Hono } from "hono";
import { z } from "zod";
import { withDb } from "../db/client.ts";
import { requireRole } from "../http/auth.ts";
import { ApiError } from "../http/errors.ts";
import { readDailyTotals } from "../pipeline/store/rollups.ts";
import { dayIn } from "./calendar.ts";

export const kpis = new Hono<{ Bindings: Env }>();

const summaryQuery = z.object({
  date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, "date must be YYYY-MM-DD")
    .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), "date is not a calendar date")
    .optional(),
});

/** `GET /api/v1/kpis/summary[?date=YYYY-MM-DD]` — revenue and orders of a day (today by default). */
kpis.get("/api/v1/kpis/summary", requireRole("viewer"), async (c) => {
  const query = summaryQuery.safeParse(c.req.query());
  if (!query.success) {
    throw new ApiError(400, "invalid_query", query.error.issues.map((i) => i.message).join("; "));
  }
  const date = query.data.date ?? dayIn(Date.now(), c.env.REPORTING_TZ);
  const [row] = await withDb(c.env, (db) => readDailyTotals(db, date, date));
  c.header("Cache-Control", "no-store");
  return c.json({
    date,
    revenue: row?.revenue ?? 0,
    net_revenue: row?.netRevenue ?? 0,
    orders: row?.orders ?? 0,
    quantity: row?.quantity ?? 0,
    // Null while the day's distinct count is being recomputed (seconds after a batch), never stale.
    unique_customers: row ? row.uniqueCustomers : 0,
    as_of: new Date().toISOString(),
    last_change: row?.updatedAt ?? null,
  });
});
