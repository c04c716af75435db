/**
 * `GET /api/v1/pipeline/health` (viewer) — how current the data is and what did not make it:
 * the consumer's lag, and per source the ledger of where every accepted event is.
 * `GET /api/v1/pipeline/quarantine` (admin) lists quarantined events with the rule they broke.
 * `GET /api/v1/pipeline/dead-letters` (admin) lists queue messages that failed every retry, with
 * their error; `POST /api/v1/pipeline/dead-letters/replay` (admin) processes them again.
 */
import { Hono } from "hono";
import { z } from "zod";
import { withDb } from "../db/client.ts";
import { requireRole } from "../http/auth.ts";
import { ApiError } from "../http/errors.ts";
import { processCdcBatch } from "./consumer.ts";
import { readHealth } from "./store/health.ts";

export const pipelineApi = new Hono<{ Bindings: Env }>();

pipelineApi.get("/api/v1/pipeline/health", requireRole("viewer"), async (c) => {
  const health = await withDb(c.env, readHealth);
  c.header("Cache-Control", "no-store");
  return c.json({ as_of: new Date().toISOString(), ...health });
});

const quarantineQuery = z.object({
  source: z.string().optional(),
  rule: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
});

pipelineApi.get("/api/v1/pipeline/quarantine", requireRole("admin"), async (c) => {
  const query = quarantineQuery.safeParse(c.req.query());
  if (!query.success) throw new ApiError(400, "invalid_query", "limit must be an integer from 1 to 1000.");
  const { source, rule, limit } = query.data;
  const rows = await withDb(
    c.env,
    async (db) =>
      (
        await db.query(
          `SELECT id, source_system AS source, source_table, entity, rule, reason, raw_event, received_at, created_at
           FROM quarantine
          WHERE replayed_at IS NULL AND ($1::text IS NULL OR source_system = $1) AND ($2::text IS NULL OR rule = $2)
          ORDER BY id DESC LIMIT $3`,
          [source ?? null, rule ?? null, limit],
        )
      ).rows,
  );
  return c.json({ events: rows });
});

const deadLetterQuery = z.object({
  source: z.string().optional(),
  /** Only the rows after this id (the previous page's `next_cursor`). */
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
  replayed: z.enum(["true", "false"]).optional(),
});

function readDeadLetterQuery(query: Record<string, string>) {
  const parsed = deadLetterQuery.safeParse(query);
  if (!parsed.success) {
    throw new ApiError(
      400,
      "invalid_query",
      "after must be an id (0 or more), limit an integer from 1 to 1000, replayed true or false.",
    );
  }
  return parsed.data;
}

interface DeadLetter {
  id: string;
  queue: string;
  message_id: string;
  source: string | null;
  attempts: number;
  events: number;
  error: string | null;
  replay_error: string | null;
  body: unknown;
  created_at: Date;
  replayed_at: Date | null;
}

pipelineApi.get("/api/v1/pipeline/dead-letters", requireRole("admin"), async (c) => {
  const { source, after, limit, replayed } = readDeadLetterQuery(c.req.query());
  const rows = await withDb(
    c.env,
    async (db) =>
      (
        await db.query<DeadLetter>(
          `SELECT id, queue, message_id, source, attempts, events, error, replay_error, body, created_at, replayed_at
             FROM dead_letters
            WHERE id > $1 AND ($2::text IS NULL OR source = $2)
              AND ($3::boolean IS NULL OR (replayed_at IS NOT NULL) = $3)
            ORDER BY id LIMIT $4`,
          [after, source ?? null, replayed === undefined ? null : replayed === "true", limit],
        )
      ).rows,
  );
  const last = rows.at(-1);
  return c.json({
    dead_letters: rows.map((r) => ({ ...r, id: Number(r.id) })),
    next_cursor: rows.length === limit && last ? Number(last.id) : null,
  });
});

/** A replay stops taking new rows after this long (the rest is the next call's, from `next_cursor`). */
const REPLAY_BUDGET_MS = 20_000;

/**
 * Processes dead letters again (after the cause is fixed), oldest id first from `after`: each one
 * as the consumer would, and only a message processed to the end is marked replayed. One that
 * fails again keeps its row, with the error in `replay_error`, and the page goes on past it (the
 * cursor moves on, so one bad message never blocks the others). Events the database still refuses
 * are quarantined like any other.
 */
pipelineApi.post("/api/v1/pipeline/dead-letters/replay", requireRole("admin"), async (c) => {
  const { source, after, limit } = readDeadLetterQuery(c.req.query());
  const started = Date.now();
  const rows = await withDb(
    c.env,
    async (db) =>
      (
        await db.query<Pick<DeadLetter, "id" | "message_id" | "body">>(
          `SELECT id, message_id, body FROM dead_letters
            WHERE id > $1 AND replayed_at IS NULL AND queue NOT LIKE 'alert%' AND ($2::text IS NULL OR source = $2)
            ORDER BY id LIMIT $3`,
          [after, source ?? null, limit],
        )
      ).rows,
  );
  const result = {
    replayed: 0,
    failed: 0,
    events: 0,
    processed: 0,
    duplicates: 0,
    quarantined: 0,
    unmapped: 0,
  };
  let cursor = after;
  let complete = true;
  for (const row of rows) {
    if (Date.now() - started > REPLAY_BUDGET_MS) {
      complete = false;
      break;
    }
    cursor = Number(row.id);
    try {
      const outcome = await processCdcBatch(c.env, [{ id: row.message_id, body: row.body }]);
      await withDb(c.env, (db) =>
        db.query("UPDATE dead_letters SET replayed_at = now(), replay_error = NULL WHERE id = $1", [row.id]),
      );
      result.replayed++;
      result.events += outcome.events;
      result.processed += outcome.processed;
      result.duplicates += outcome.duplicates;
      result.quarantined += outcome.quarantined;
      result.unmapped += outcome.unmapped;
    } catch (error) {
      result.failed++;
      const message = error instanceof Error ? error.message : String(error);
      await withDb(c.env, (db) =>
        db.query("UPDATE dead_letters SET replay_error = $2 WHERE id = $1", [row.id, message]),
      ).catch(() => undefined);
    }
  }
  const more = !complete || rows.length === limit;
  return c.json({ ...result, next_cursor: more ? cursor : null });
});
