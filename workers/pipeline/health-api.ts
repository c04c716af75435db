/**
 * `GET /api/v1/pipeline/health` (viewer) — how current the data is and what did not make it:
 * the consumer's lag, counts per state and per source. `GET /api/v1/pipeline/quarantine` (admin)
 * lists quarantined events with the rule they broke.
 */
import { Hono } from "hono";
import { z } from "zod";
import { withDb } from "../db/client.ts";
import { requireRole } from "../http/auth.ts";
import { ApiError } from "../http/errors.ts";
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
