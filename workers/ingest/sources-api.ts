/**
 * Managing source systems (admin token): create or rotate a source's secret (returned once), list
 * sources with their counters, delete; per-source table mappings; replay of unmapped or
 * quarantined events.
 */
import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono";
import { z } from "zod";
import { withDb } from "../db/client.ts";
import { requireRole } from "../http/auth.ts";
import { ApiError } from "../http/errors.ts";
import { replaySource } from "../pipeline/replay.ts";
import {
  deleteMapping,
  deleteSource,
  insertSource,
  listSources,
  readMappings,
  readSource,
  rotateSourceSecret,
  type SourceRow,
  sourceExists,
  upsertMapping,
} from "../pipeline/store/sources.ts";
import { ENTITIES, entityFields } from "./entities.ts";
import { sealSecret } from "./secret-box.ts";
import { newWebhookSecret } from "./signature.ts";
import { forgetSource } from "./sources.ts";

export const sourcesApi = new Hono<{ Bindings: Env }>();
sourcesApi.use("/api/v1/sources/*", requireRole("admin"));
sourcesApi.use("/api/v1/sources", requireRole("admin"));

const NAME = /^[a-z0-9][a-z0-9_-]{0,49}$/;

const NAME_RULE = "A source name is 1–50 characters: lowercase letters, digits, - and _.";

/** The `:name` of every route, checked before the handler runs. */
const sourceName = zValidator("param", z.object({ name: z.string().regex(NAME) }), (result) => {
  if (!result.success) throw new ApiError(400, "invalid_name", NAME_RULE);
});

/**
 * Bodies are read by hand, not by the `json` validator: that one ignores a body sent without a JSON
 * content type (curl's `-d` sends a form type), so `{"rotate": true}` would silently create instead
 * of rotate, and it refuses an empty body, which here means "all defaults".
 */
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
sourcesApi.put("/api/v1/sources/:name", sourceName, async (c) => {
  const { name } = c.req.valid("param");
  const { rotate, grace_seconds: grace } = await body(c.req.raw, putSource);
  const secret = newWebhookSecret();
  // Stored encrypted: the plain secret is in this answer only, never in the database or a log.
  const sealed = await sealSecret(c.env, name, secret);
  const result = await withDb(c.env, async (db) => {
    if (rotate) {
      const expires = await rotateSourceSecret(db, name, sealed, grace);
      if (!expires) throw new ApiError(404, "unknown_source", `No source named "${name}" to rotate.`);
      return { status: 200 as const, previousSecretValidUntil: expires.toISOString() };
    }
    if (!(await insertSource(db, name, sealed))) {
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
  const rows = await withDb(c.env, listSources);
  return c.json({ sources: rows.map(present) });
});

sourcesApi.get("/api/v1/sources/:name", sourceName, async (c) => {
  const { name } = c.req.valid("param");
  const row = await withDb(c.env, (db) => readSource(db, name));
  if (!row) throw new ApiError(404, "unknown_source", `No source named "${name}".`);
  const mappings = await withDb(c.env, (db) => readMappings(db, name));
  return c.json({ ...present(row), mappings });
});

/** Deleting a source stops its webhook at once; the events it sent stay in bronze and gold. */
sourcesApi.delete("/api/v1/sources/:name", sourceName, async (c) => {
  const { name } = c.req.valid("param");
  const deleted = await withDb(c.env, (db) => deleteSource(db, name));
  forgetSource(name);
  if (!deleted) throw new ApiError(404, "unknown_source", `No source named "${name}".`);
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
sourcesApi.put("/api/v1/sources/:name/mappings/:table", sourceName, async (c) => {
  const { name } = c.req.valid("param");
  const table = c.req.param("table");
  const mapping = await body(c.req.raw, putMapping);
  await withDb(c.env, async (db) => {
    if (!(await sourceExists(db, name)))
      throw new ApiError(404, "unknown_source", `No source named "${name}".`);
    await upsertMapping(db, name, table, mapping);
  });
  return c.json({ source: name, source_table: table, ...mapping });
});

sourcesApi.delete("/api/v1/sources/:name/mappings/:table", sourceName, async (c) => {
  const { name } = c.req.valid("param");
  const deleted = await withDb(c.env, (db) => deleteMapping(db, name, c.req.param("table")));
  if (!deleted) throw new ApiError(404, "unknown_mapping", "No such mapping.");
  return c.body(null, 204);
});

const replayQuery = zValidator(
  "query",
  z.object({ status: z.enum(["unmapped", "quarantined"]).default("unmapped") }),
  (result) => {
    if (!result.success) throw new ApiError(400, "invalid_query", "status must be unmapped or quarantined.");
  },
);

/**
 * `POST /api/v1/sources/:name/replay[?status=unmapped|quarantined]` — takes the source's events of
 * that status out of bronze and processes them again, as if just received (their original receive
 * time is kept). Events still unmapped or invalid simply land in the same state again.
 */
sourcesApi.post("/api/v1/sources/:name/replay", sourceName, replayQuery, async (c) => {
  const { name } = c.req.valid("param");
  const { status } = c.req.valid("query");
  const totals = await withDb(c.env, (db) => replaySource(c.env, db, name, status));
  return c.json({ source: name, status, ...totals });
});
