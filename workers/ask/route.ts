/**
 * `POST /api/v1/ask` (viewer) — `{question, today?}` → 200 with an answer, a clarifying question or
 * a refusal (see `ask.ts`). Only a malformed request is a 4xx.
 */
import { Hono } from "hono";
import { z } from "zod";
import { withDb } from "../db/client.ts";
import { requireRole } from "../http/auth.ts";
import { ApiError } from "../http/errors.ts";
import { isCalendarDate } from "../kpi/calendar.ts";
import { EARLIEST, LATEST } from "../kpi/params.ts";
import { reportContext } from "../kpi/reports/report.ts";
import { ask, refuseEarly } from "./ask.ts";

export const MAX_QUESTION_LENGTH = 500;

const askBody = z
  .object({
    question: z
      .string({ error: "question must be a string" })
      .trim()
      .min(1, "question must not be empty")
      .max(MAX_QUESTION_LENGTH, `question must be at most ${MAX_QUESTION_LENGTH} characters`),
    today: z
      .string({ error: "today must be a string" })
      .refine(isCalendarDate, "today must be a calendar date written YYYY-MM-DD")
      .refine((d) => d >= EARLIEST && d <= LATEST, `today must be between ${EARLIEST} and ${LATEST}`)
      .optional(),
  })
  .strict();

export const askApi = new Hono<{ Bindings: Env }>();

askApi.post("/api/v1/ask", requireRole("viewer"), async (c) => {
  let json: unknown;
  try {
    json = await c.req.json();
  } catch {
    throw new ApiError(400, "malformed_json", 'Send a JSON body: {"question": "…", "today": "YYYY-MM-DD"?}.');
  }
  const body = askBody.safeParse(json);
  if (!body.success) {
    throw new ApiError(
      400,
      "invalid_question",
      body.error.issues
        .map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message))
        .join("; "),
    );
  }
  const ctx = reportContext(c.env);
  if (body.data.today) ctx.today = body.data.today;
  c.header("Cache-Control", "no-store");
  const refused = refuseEarly(body.data.question);
  if (refused) return c.json(refused);
  const waitUntil = (p: Promise<unknown>) => c.executionCtx.waitUntil(p);
  return c.json(await withDb(c.env, (db) => ask(db, body.data.question, ctx, c.env.DATABASE_URL, waitUntil)));
});
