/**
 * `GET /api/v1/insights/subscriptions`, `GET|PUT|DELETE /api/v1/insights/subscriptions/:id`
 * (viewer): anyone who can read the dashboard can have the daily briefing delivered each morning,
 * at a local time they choose, through an alert channel an admin set up.
 * PUT takes `{channel, time: "HH:MM", timezone?: IANA name, enabled?}`.
 */
import { Hono } from "hono";
import { z } from "zod";
import { ID, issueLines } from "../../alerts/rules.ts";
import { getChannel } from "../../alerts/store.ts";
import { withDb } from "../../db/client.ts";
import { requireRole } from "../../http/auth.ts";
import { ApiError } from "../../http/errors.ts";
import { isTimeZone, LOCAL_TIME, nextDelivery, startingLastSent } from "./schedule.ts";
import * as store from "./store.ts";

export const subscriptionsApi = new Hono<{ Bindings: Env }>();
subscriptionsApi.use("/api/v1/insights/subscriptions", requireRole("viewer"));
subscriptionsApi.use("/api/v1/insights/subscriptions/*", requireRole("viewer"));

const subscriptionInput = z.object({
  channel: z.string().regex(ID, "a channel id: 1–50 lowercase letters, digits, - and _"),
  time: z.string().regex(LOCAL_TIME, 'a 24-hour local time written "HH:MM", e.g. "07:30"'),
  timezone: z
    .string()
    .max(64)
    .refine(isTimeZone, "an IANA time zone such as Europe/Paris or America/New_York")
    .optional(),
  enabled: z.boolean().default(true),
});

function idParam(raw: string): string {
  if (!ID.test(raw))
    throw new ApiError(
      400,
      "invalid_subscription_id",
      "A subscription id is 1–50 characters: lowercase letters, digits, - and _.",
    );
  return raw;
}

const json = (s: store.Subscription, now = new Date()) => ({
  id: s.id,
  channel: s.channelId,
  time: s.localTime,
  timezone: s.timezone,
  enabled: s.enabled,
  last_sent_date: s.lastSentDate,
  next_delivery: s.enabled ? { date: nextDelivery(s, now), time: s.localTime, timezone: s.timezone } : null,
});

subscriptionsApi.get("/api/v1/insights/subscriptions", async (c) => {
  const rows = await withDb(c.env, (db) => store.listSubscriptions(db));
  return c.json({ subscriptions: rows.map((s) => json(s)) });
});

subscriptionsApi.get("/api/v1/insights/subscriptions/:id", async (c) => {
  const id = idParam(c.req.param("id"));
  const row = await withDb(c.env, (db) => store.getSubscription(db, id));
  if (!row) throw new ApiError(404, "unknown_subscription", `No briefing subscription "${id}".`);
  return c.json(json(row));
});

subscriptionsApi.put("/api/v1/insights/subscriptions/:id", async (c) => {
  const id = idParam(c.req.param("id"));
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    throw new ApiError(400, "malformed_json", "The body is not valid JSON.");
  }
  const parsed = subscriptionInput.safeParse(body);
  if (!parsed.success) {
    const lines = issueLines(parsed.error);
    throw new ApiError(400, "invalid_subscription", `This is not a valid subscription: ${lines[0]}.`, lines);
  }
  const input = {
    channelId: parsed.data.channel,
    localTime: parsed.data.time,
    timezone: parsed.data.timezone ?? (c.env.REPORTING_TZ || "UTC"),
    enabled: parsed.data.enabled,
  };
  const { subscription, created } = await withDb(c.env, async (db) => {
    const channel = await getChannel(db, input.channelId);
    if (!channel)
      throw new ApiError(
        400,
        "unknown_channel",
        `No channel "${input.channelId}": an admin creates it with PUT /api/v1/alerts/channels/:id.`,
      );
    if (channel.config.type === "pagerduty")
      throw new ApiError(
        400,
        "channel_not_for_briefings",
        `Channel "${input.channelId}" is PagerDuty, which pages people: a briefing goes to email, Slack or a webhook.`,
      );
    return store.putSubscription(db, id, input, startingLastSent(input, new Date()));
  });
  return c.json(json(subscription), created ? 201 : 200);
});

subscriptionsApi.delete("/api/v1/insights/subscriptions/:id", async (c) => {
  const id = idParam(c.req.param("id"));
  const deleted = await withDb(c.env, (db) => store.deleteSubscription(db, id));
  if (!deleted) throw new ApiError(404, "unknown_subscription", `No briefing subscription "${id}".`);
  return c.body(null, 204);
});
