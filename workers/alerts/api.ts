/**
 * The alerts API: rules and channels (admin), incidents and delivery attempts (viewer / admin),
 * a rule's preview on history, a channel's test message.
 */
import { Hono } from "hono";
import type { z } from "zod";
import { withDb } from "../db/client.ts";
import { requireRole } from "../http/auth.ts";
import { ApiError } from "../http/errors.ts";
import { newWebhookSecret } from "../ingest/signature.ts";
import { renderAlert, sendToChannel } from "./channels/send.ts";
import { readSliceHistory, utcOffsetMinutes } from "./history-store.ts";
import { channelInputSchema, ID, issueLines, type Rule, ruleInputSchema } from "./rules.ts";
import { simulate } from "./simulate.ts";
import * as store from "./store.ts";
import { testPayload } from "./test-payload.ts";

export const alertsApi = new Hono<{ Bindings: Env }>();
alertsApi.use("/api/v1/alerts/rules/*", requireRole("admin"));
alertsApi.use("/api/v1/alerts/rules", requireRole("admin"));
alertsApi.use("/api/v1/alerts/channels/*", requireRole("admin"));
alertsApi.use("/api/v1/alerts/channels", requireRole("admin"));
alertsApi.use("/api/v1/alerts/deliveries", requireRole("admin"));
alertsApi.use("/api/v1/alerts", requireRole("viewer"));
alertsApi.use("/api/v1/alerts/:alertId/ack", requireRole("viewer"));

function idParam(raw: string, what: string): string {
  if (!ID.test(raw))
    throw new ApiError(
      400,
      `invalid_${what}_id`,
      `A ${what} id is 1–50 characters: lowercase letters, digits, - and _.`,
    );
  return raw;
}

async function parseBody<T extends z.ZodType>(
  request: Request,
  schema: T,
  code: string,
  what: string,
): Promise<z.infer<T>> {
  let value: unknown;
  try {
    value = JSON.parse(await request.text());
  } catch {
    throw new ApiError(400, "malformed_json", "The body is not valid JSON.");
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const lines = issueLines(parsed.error);
    throw new ApiError(
      400,
      code,
      `This is not a valid ${what}: ${lines[0]}${lines.length > 1 ? ` (and ${lines.length - 1} more)` : ""}.`,
      lines,
    );
  }
  return parsed.data;
}

const ruleJson = (r: Rule) => {
  const { version, ...rest } = r;
  return { ...rest, version };
};

// ── Rules ───────────────────────────────────────────────────────────────────────────────────────

alertsApi.get("/api/v1/alerts/rules", async (c) => {
  const rules = await withDb(c.env, (db) => store.listRules(db));
  return c.json({ rules: rules.map(ruleJson) });
});

alertsApi.get("/api/v1/alerts/rules/:id", async (c) => {
  const id = idParam(c.req.param("id"), "rule");
  const rule = await withDb(c.env, (db) => store.getRule(db, id));
  if (!rule) throw new ApiError(404, "unknown_rule", `No alert rule "${id}".`);
  return c.json(ruleJson(rule));
});

alertsApi.put("/api/v1/alerts/rules/:id", async (c) => {
  const id = idParam(c.req.param("id"), "rule");
  const definition = await parseBody(c.req.raw, ruleInputSchema, "invalid_rule", "rule");
  const { rule, created } = await withDb(c.env, async (db) => {
    const known = new Set((await store.listChannels(db, definition.channels)).map((ch) => ch.id));
    const missing = definition.channels.filter((ch) => !known.has(ch));
    if (missing.length) {
      throw new ApiError(
        400,
        "unknown_channel",
        `No channel ${missing.map((m) => `"${m}"`).join(", ")}: create it with PUT /api/v1/alerts/channels/:id first.`,
      );
    }
    return store.putRule(db, id, definition);
  });
  return c.json(ruleJson(rule), created ? 201 : 200);
});

alertsApi.delete("/api/v1/alerts/rules/:id", async (c) => {
  const id = idParam(c.req.param("id"), "rule");
  if (!(await withDb(c.env, (db) => store.deleteRule(db, id))))
    throw new ApiError(404, "unknown_rule", `No alert rule "${id}".`);
  return c.body(null, 204);
});

/**
 * When would the rule have fired over the last `days` days? Replays it on hourly history. With a
 * JSON body (a rule as PUT takes it) the draft is replayed instead of the stored rule, so an edit
 * can be tried before it is saved; the answer's `series` has every replayed evaluation's figures.
 */
alertsApi.post("/api/v1/alerts/rules/:id/preview", async (c) => {
  const id = idParam(c.req.param("id"), "rule");
  const days = Number(c.req.query("days") ?? "30");
  if (!Number.isInteger(days) || days < 1 || days > 62) {
    throw new ApiError(400, "invalid_days", "`days` is a whole number of days from 1 to 62.");
  }
  const draft =
    (await c.req.raw.clone().text()).trim() === ""
      ? null
      : await parseBody(c.req.raw, ruleInputSchema, "invalid_rule", "rule");
  const rule: Rule | undefined = draft
    ? { ...draft, id, version: 0 }
    : await withDb(c.env, (db) => store.getRule(db, id));
  if (!rule) throw new ApiError(404, "unknown_rule", `No alert rule "${id}".`);
  const now = Date.now();
  const from = now - days * 86_400_000;
  // Eight weeks before the range feed the seasonal baselines of its first days.
  const history = await withDb(c.env, (db) =>
    readSliceHistory(db, rule.filters, { from: from - 56 * 86_400_000, to: now }, c.env.REPORTING_TZ),
  );
  const everyMs = 15 * 60_000;
  const result = simulate(rule, history, {
    from,
    to: now,
    everyMs,
    utcOffsetMinutes: utcOffsetMinutes(c.env.REPORTING_TZ, now),
    points: true,
  });
  const round = (v: number | null) => (v === null ? null : Math.round(v * 100) / 100);
  return c.json({
    rule: ruleJson(rule),
    from: new Date(from).toISOString(),
    to: new Date(now).toISOString(),
    evaluations: result.evaluations,
    breaches: result.breaches,
    unjudged: result.unjudged,
    draft: draft !== null,
    series: {
      t: result.points.map((p) => Math.round(p.at / 1000)),
      observed: result.points.map((p) => round(p.observed)),
      expected: result.points.map((p) => round(p.expected)),
      breach: result.points.map((p) => p.breach),
    },
    incidents: result.transitions
      .filter((t) => t.kind !== "renotify")
      .map((t) => ({
        kind: t.kind,
        alert_id: t.alertId,
        at: new Date(t.at).toISOString(),
        started_at: new Date(t.startedAt).toISOString(),
        observed: t.evaluation.observed,
        expected: t.evaluation.expected,
        deviation_pct: t.evaluation.deviationPct,
        summary: t.evaluation.summary,
      })),
    note: "Replayed every 15 minutes on hourly history (minutes within an hour are taken pro rata); live, the rule is evaluated on every update. Minute thresholds are approximated.",
  });
});

// ── Channels ────────────────────────────────────────────────────────────────────────────────────

const channelJson = (ch: store.ChannelRow) => ({
  id: ch.id,
  ...ch.config,
  has_secret: ch.secret !== null,
  disabled_at: ch.disabledAt,
});

alertsApi.get("/api/v1/alerts/channels", async (c) => {
  const channels = await withDb(c.env, (db) => store.listChannels(db));
  return c.json({ channels: channels.map(channelJson) });
});

alertsApi.put("/api/v1/alerts/channels/:id", async (c) => {
  const id = idParam(c.req.param("id"), "channel");
  const config = await parseBody(c.req.raw, channelInputSchema, "invalid_channel", "channel");
  const generated = config.type === "webhook" && !config.secret ? newWebhookSecret() : null;
  const secret = config.type === "webhook" ? (config.secret ?? generated) : null;
  const { secret: _omit, ...stored } = config as typeof config & { secret?: string };
  const { channel, created } = await withDb(c.env, (db) =>
    store.putChannel(db, id, stored as typeof config, secret),
  );
  return c.json(
    {
      ...channelJson(channel),
      ...(generated
        ? { secret: generated, note: "The secret is shown once: verify our signatures with it." }
        : {}),
    },
    created ? 201 : 200,
  );
});

alertsApi.delete("/api/v1/alerts/channels/:id", async (c) => {
  const id = idParam(c.req.param("id"), "channel");
  if (!(await withDb(c.env, (db) => store.deleteChannel(db, id))))
    throw new ApiError(404, "unknown_channel", `No channel "${id}".`);
  return c.body(null, 204);
});

/** Sends a test alert now (not through the queue) and answers what happened. */
alertsApi.post("/api/v1/alerts/channels/:id/test", async (c) => {
  const id = idParam(c.req.param("id"), "channel");
  return withDb(c.env, async (db) => {
    const channel = await store.getChannel(db, id);
    if (!channel) throw new ApiError(404, "unknown_channel", `No channel "${id}".`);
    const payload = testPayload(c.env.PUBLIC_URL || new URL(c.req.url).origin);
    const deliveryId = `test.${crypto.randomUUID()}`;
    const result = await sendToChannel(c.env, channel, renderAlert(payload), deliveryId);
    await store.logAttempt(db, {
      deliveryId,
      alertId: payload.alert_id,
      channelId: id,
      kind: "test",
      attempt: 1,
      outcome: result.ok ? "delivered" : "failed",
      httpStatus: result.status,
      error: result.error,
      durationMs: result.durationMs,
    });
    return c.json(
      { delivered: result.ok, status: result.status, error: result.error, delivery_id: deliveryId },
      result.ok ? 200 : 502,
    );
  });
});

// ── Incidents and deliveries ────────────────────────────────────────────────────────────────────

function instant(raw: string | undefined, name: string): Date | undefined {
  if (raw === undefined) return undefined;
  const t = Date.parse(raw);
  if (Number.isNaN(t))
    throw new ApiError(400, "invalid_query", `\`${name}\` is an ISO 8601 date or time (got "${raw}").`);
  return new Date(t);
}

alertsApi.get("/api/v1/alerts", async (c) => {
  const status = c.req.query("status");
  if (status !== undefined && status !== "firing" && status !== "resolved") {
    throw new ApiError(400, "invalid_query", "`status` is firing or resolved.");
  }
  const filter = {
    status,
    from: instant(c.req.query("from"), "from"),
    to: instant(c.req.query("to"), "to"),
    limit: 200,
  };
  const rows = await withDb(c.env, (db) => store.listIncidents(db, filter));
  return c.json({
    alerts: rows.map((r) => ({
      alert_id: r.alertId,
      rule_id: r.ruleId,
      slice: r.slice,
      status: r.status,
      started_at: r.startedAt.toISOString(),
      ended_at: r.endedAt?.toISOString() ?? null,
      acknowledged_at: r.acknowledgedAt?.toISOString() ?? null,
      detail: r.detail,
      timeline: r.timeline,
    })),
  });
});

alertsApi.post("/api/v1/alerts/:alertId/ack", async (c) => {
  const alertId = c.req.param("alertId");
  const row = await withDb(c.env, (db) => store.acknowledgeIncident(db, alertId));
  if (!row) throw new ApiError(404, "unknown_alert", `No alert "${alertId}".`);
  return c.json({ alert_id: row.alertId, acknowledged_at: row.acknowledgedAt?.toISOString() ?? null });
});

alertsApi.get("/api/v1/alerts/deliveries", async (c) => {
  const limit = Math.min(1000, Math.max(1, Number(c.req.query("limit") ?? "200") || 200));
  const rows = await withDb(c.env, (db) =>
    store.listDeliveries(db, {
      alertId: c.req.query("alert_id"),
      channelId: c.req.query("channel_id"),
      limit,
    }),
  );
  return c.json({
    deliveries: rows.map((r) => ({
      delivery_id: r.deliveryId,
      alert_id: r.alertId,
      channel_id: r.channelId,
      kind: r.kind,
      attempt: r.attempt,
      outcome: r.outcome,
      http_status: r.httpStatus,
      error: r.error,
      duration_ms: r.durationMs,
      at: r.createdAt.toISOString(),
    })),
  });
});
