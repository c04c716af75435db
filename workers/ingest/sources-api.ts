/**
 * Managing source systems (admin token): create or rotate a source's secret (returned once), list
 * sources with their counters, delete; per-source table mappings; replay of unmapped or
 * quarantined events.
 */
import { Hono } from "hono";
import { z } from "zod";
import { transaction, withDb } from "../db/client.ts";
import { requireRole } from "../http/auth.ts";
import { ApiError } from "../http/errors.ts";
import { pipelineOptions, refreshLive } from "../pipeline/consumer.ts";
import { processItems } from "../pipeline/process.ts";
import { takeBronzeForReplay } from "../pipeline/store/bronze.ts";
import { eventChecksum } from "./checksum.ts";
import { ENTITIES, entityFields } from "./entities.ts";
import { identityOf, parseEvent } from "./events.ts";
import { sealSecret } from "./secret-box.ts";
import { newWebhookSecret } from "./signature.ts";
import { forgetSource } from "./sources.ts";

export const sourcesApi = new Hono<{ Bindings: Env }>();
sourcesApi.use("/api/v1/sources/*", requireRole("admin"));
sourcesApi.use("/api/v1/sources", requireRole("admin"));

const NAME = /^[a-z0-9][a-z0-9_-]{0,49}$/;

function sourceName(raw: string): string {
  if (!NAME.test(raw)) {
    throw new ApiError(
      400,
      "invalid_name",
      "A source name is 1–50 characters: lowercase letters, digits, - and _.",
    );
  }
  return raw;
}

async function body<T extends z.ZodType>(request: Request, schema: T): Promise<z.infer<T>> {
  const text = await request.text();
  let value: unknown = {};
  if (text.trim() !== "") {
    try {
      value = JSON.parse(text);
    } catch {
      throw new ApiError(400, "malformed_json", "The body is not valid JSON.");
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ApiError(
      422,
      "invalid_body",
      "The body does not describe a valid request.",
      parsed.error.issues.map((i) => `${i.path.map(String).join(".") || "body"}: ${i.message}`),
    );
  }
  return parsed.data;
}

const putSource = z.object({
  /** Rotate the secret of an existing source; the old one keeps working for `grace_seconds`. */
  rotate: z.boolean().default(false),
  grace_seconds: z
    .number()
    .int()
    .min(0)
    .max(30 * 86_400)
    .default(86_400),
});

/** `PUT /api/v1/sources/:name` — creates a source, or rotates its secret with `{"rotate": true}`. */
sourcesApi.put("/api/v1/sources/:name", async (c) => {
  const name = sourceName(c.req.param("name"));
  const { rotate, grace_seconds: grace } = await body(c.req.raw, putSource);
  const secret = newWebhookSecret();
  // Stored encrypted: the plain secret is in this answer only, never in the database or a log.
  const sealed = await sealSecret(c.env, name, secret);
  const result = await withDb(c.env, async (db) => {
    if (rotate) {
      const rotated = await db.query<{ expires: Date }>(
        `UPDATE sources SET previous_secret = secret, secret = $2,
                previous_secret_expires_at = now() + make_interval(secs => $3)
          WHERE name = $1 RETURNING previous_secret_expires_at AS expires`,
        [name, sealed, grace],
      );
      const row = rotated.rows[0];
      if (!row) throw new ApiError(404, "unknown_source", `No source named "${name}" to rotate.`);
      return { status: 200 as const, previousSecretValidUntil: row.expires.toISOString() };
    }
    const created = await db.query(
      "INSERT INTO sources (name, secret) VALUES ($1, $2) ON CONFLICT DO NOTHING",
      [name, sealed],
    );
    if (created.rowCount === 0) {
      throw new ApiError(
        409,
        "source_exists",
        `Source "${name}" exists; send {"rotate": true} for a new secret.`,
      );
    }
    return { status: 201 as const, previousSecretValidUntil: null };
  });
  forgetSource(name);
  return c.json(
    {
      name,
      secret,
      previous_secret_valid_until: result.previousSecretValidUntil,
      webhook_url: new URL(`/api/v1/cdc/${name}`, c.req.url).toString(),
      note: "The secret is shown once; store it in the source system now.",
    },
    result.status,
  );
});

type SourceRow = {
  name: string;
  created_at: Date;
  last_seen_at: Date | null;
  previous_secret_expires_at: Date | null;
  accepted: string | null;
  processed: string | null;
  duplicates: string | null;
  quarantined: string | null;
  unmapped: string | null;
  dead_lettered: string;
};

const LIST = `
  SELECT s.name, s.created_at, s.last_seen_at,
         CASE WHEN s.previous_secret_expires_at > now() THEN s.previous_secret_expires_at END AS previous_secret_expires_at,
         st.accepted, st.processed, st.duplicates,
         -- Current, not cumulative: they fall when events are replayed.
         (SELECT count(*) FROM quarantine q WHERE q.source_system = s.name AND q.replayed_at IS NULL) AS quarantined,
         (SELECT count(*) FROM bronze_sales_events b WHERE b.source_system = s.name AND b.status = 'unmapped') AS unmapped,
         (SELECT coalesce(sum(d.events), 0) FROM dead_letters d WHERE d.source = s.name AND d.replayed_at IS NULL AND d.queue NOT LIKE 'alert%') AS dead_lettered
    FROM sources s LEFT JOIN source_stats st ON st.source = s.name`;

function present(r: SourceRow) {
  return {
    name: r.name,
    created_at: r.created_at.toISOString(),
    last_seen_at: r.last_seen_at?.toISOString() ?? null,
    rotating_until: r.previous_secret_expires_at?.toISOString() ?? null,
    counts: {
      accepted: Number(r.accepted ?? 0),
      processed: Number(r.processed ?? 0),
      duplicates: Number(r.duplicates ?? 0),
      quarantined: Number(r.quarantined ?? 0),
      unmapped: Number(r.unmapped ?? 0),
      dead_lettered: Number(r.dead_lettered),
    },
  };
}

sourcesApi.get("/api/v1/sources", async (c) => {
  const rows = await withDb(c.env, async (db) => (await db.query<SourceRow>(`${LIST} ORDER BY s.name`)).rows);
  return c.json({ sources: rows.map(present) });
});

sourcesApi.get("/api/v1/sources/:name", async (c) => {
  const name = sourceName(c.req.param("name"));
  const [row] = await withDb(
    c.env,
    async (db) => (await db.query<SourceRow>(`${LIST} WHERE s.name = $1`, [name])).rows,
  );
  if (!row) throw new ApiError(404, "unknown_source", `No source named "${name}".`);
  const mappings = await withDb(
    c.env,
    async (db) =>
      (
        await db.query(
          "SELECT source_table, entity, columns, defaults FROM source_mappings WHERE source = $1 ORDER BY source_table",
          [name],
        )
      ).rows,
  );
  return c.json({ ...present(row), mappings });
});

/** Deleting a source stops its webhook at once; the events it sent stay in bronze and gold. */
sourcesApi.delete("/api/v1/sources/:name", async (c) => {
  const name = sourceName(c.req.param("name"));
  const deleted = await withDb(c.env, (db) =>
    transaction(db, async (tx) => {
      await tx.query("DELETE FROM source_mappings WHERE source = $1", [name]);
      return (await tx.query("DELETE FROM sources WHERE name = $1", [name])).rowCount ?? 0;
    }),
  );
  forgetSource(name);
  if (deleted === 0) throw new ApiError(404, "unknown_source", `No source named "${name}".`);
  return c.body(null, 204);
});

const FIELDS: Record<string, string[]> = Object.fromEntries(
  ENTITIES.map((e) => [e, Object.keys(entityFields[e].shape)]),
);

const putMapping = z
  .object({
    entity: z.enum(ENTITIES),
    columns: z.record(z.string().min(1), z.string().min(1)),
    defaults: z.record(z.string().min(1), z.unknown()).default({}),
  })
  .superRefine((m, ctx) => {
    const allowed = FIELDS[m.entity] ?? [];
    for (const field of [...Object.values(m.columns), ...Object.keys(m.defaults)]) {
      if (!allowed.includes(field)) {
        ctx.addIssue({
          code: "custom",
          message: `"${field}" is not a field of ${m.entity}; use one of ${allowed.join(", ")}`,
        });
      }
    }
  });

/** `PUT /api/v1/sources/:name/mappings/:table` — e.g. `inventory.orders` → sale. */
sourcesApi.put("/api/v1/sources/:name/mappings/:table", async (c) => {
  const name = sourceName(c.req.param("name"));
  const table = c.req.param("table");
  const mapping = await body(c.req.raw, putMapping);
  await withDb(c.env, async (db) => {
    const exists = await db.query("SELECT 1 FROM sources WHERE name = $1", [name]);
    if (exists.rowCount === 0) throw new ApiError(404, "unknown_source", `No source named "${name}".`);
    await db.query(
      `INSERT INTO source_mappings (source, source_table, entity, columns, defaults) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (source, source_table) DO UPDATE SET entity = excluded.entity, columns = excluded.columns,
         defaults = excluded.defaults, updated_at = now()`,
      [name, table, mapping.entity, JSON.stringify(mapping.columns), JSON.stringify(mapping.defaults)],
    );
  });
  return c.json({ source: name, source_table: table, ...mapping });
});

sourcesApi.delete("/api/v1/sources/:name/mappings/:table", async (c) => {
  const name = sourceName(c.req.param("name"));
  const deleted = await withDb(
    c.env,
    async (db) =>
      (
        await db.query("DELETE FROM source_mappings WHERE source = $1 AND source_table = $2", [
          name,
          c.req.param("table"),
        ])
      ).rowCount,
  );
  if (!deleted) throw new ApiError(404, "unknown_mapping", "No such mapping.");
  return c.body(null, 204);
});

const replayQuery = z.object({ status: z.enum(["unmapped", "quarantined"]).default("unmapped") });
const REPLAY_CHUNK = 1_000;
const REPLAY_ROUNDS = 20;

/**
 * `POST /api/v1/sources/:name/replay[?status=unmapped|quarantined]` — takes the source's events of
 * that status out of bronze and processes them again, as if just received (their original receive
 * time is kept). Events still unmapped or invalid simply land in the same state again.
 */
sourcesApi.post("/api/v1/sources/:name/replay", async (c) => {
  const name = sourceName(c.req.param("name"));
  const query = replayQuery.safeParse(c.req.query());
  if (!query.success) throw new ApiError(400, "invalid_query", "status must be unmapped or quarantined.");
  const options = { ...pipelineOptions(c.env), replay: true };
  const totals = { replayed: 0, processed: 0, quarantined: 0, unmapped: 0 };
  let more = false;
  const touched = { days: new Set<string>(), minutes: new Set<string>() };
  await withDb(c.env, async (db) => {
    for (let round = 0; round < REPLAY_ROUNDS; round++) {
      const outcome = await transaction(db, async (tx) => {
        const taken = await takeBronzeForReplay(tx, name, query.data.status, REPLAY_CHUNK);
        const items = [];
        for (const t of taken) {
          const parsed = parseEvent(t.raw);
          // Bronze only holds events that passed the webhook, so this cannot fail short of a format change.
          if (!parsed.ok) continue;
          items.push({
            source: name,
            receivedAt: t.receivedAt,
            raw: t.raw,
            checksum: eventChecksum(name, identityOf(parsed.change)),
            change: parsed.change,
          });
        }
        const result = await processItems(tx, items, options);
        return { taken: taken.length, result };
      });
      totals.replayed += outcome.taken;
      totals.processed += outcome.result.processed;
      totals.quarantined += outcome.result.quarantined;
      totals.unmapped += outcome.result.unmapped;
      for (const key of outcome.result.touchedLive.days) touched.days.add(key);
      for (const key of outcome.result.touchedLive.minutes) touched.minutes.add(key);
      if (outcome.taken < REPLAY_CHUNK) break;
      more = round === REPLAY_ROUNDS - 1;
    }
    await refreshLive(c.env, db, { days: [...touched.days], minutes: [...touched.minutes] });
  });
  return c.json({ source: name, status: query.data.status, ...totals, more });
});
