/**
 * The public formats alert payloads must meet, written from their specifications (only tests
 * import this): Slack Block Kit (the blocks and limits an incoming webhook accepts) and the
 * PagerDuty Events API v2 event. Standard Webhooks signatures are checked with the
 * `standardwebhooks` library itself.
 */
import { z } from "zod";

const plainText = (max: number) =>
  z
    .object({
      type: z.literal("plain_text"),
      text: z.string().min(1).max(max),
      emoji: z.boolean().optional(),
    })
    .strict();
const mrkdwn = (max: number) =>
  z
    .object({ type: z.literal("mrkdwn"), text: z.string().min(1).max(max), verbatim: z.boolean().optional() })
    .strict();
const text = (max: number) => z.union([plainText(max), mrkdwn(max)]);

const button = z
  .object({
    type: z.literal("button"),
    text: plainText(75),
    action_id: z.string().max(255).optional(),
    url: z.string().url().max(3000).optional(),
    value: z.string().max(2000).optional(),
    style: z.enum(["primary", "danger"]).optional(),
  })
  .strict();

const block = z.discriminatedUnion("type", [
  z
    .object({ type: z.literal("header"), text: plainText(150), block_id: z.string().max(255).optional() })
    .strict(),
  z
    .object({
      type: z.literal("section"),
      text: text(3000).optional(),
      fields: z.array(text(2000)).max(10).optional(),
      block_id: z.string().max(255).optional(),
    })
    .strict()
    .refine((s) => s.text || s.fields, "a section needs text or fields"),
  z
    .object({
      type: z.literal("actions"),
      elements: z.array(button).min(1).max(25),
      block_id: z.string().max(255).optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal("context"),
      elements: z.array(text(3000)).min(1).max(10),
      block_id: z.string().max(255).optional(),
    })
    .strict(),
  z.object({ type: z.literal("divider"), block_id: z.string().max(255).optional() }).strict(),
]);

/** An incoming-webhook message: fallback `text` plus at most 50 blocks. */
export const slackWebhookMessage = z
  .object({ text: z.string().min(1), blocks: z.array(block).min(1).max(50) })
  .strict();

const iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "an ISO 8601 timestamp");

/** PagerDuty Events API v2 (POST https://events.pagerduty.com/v2/enqueue). */
export const pagerDutyEventV2 = z.discriminatedUnion("event_action", [
  z
    .object({
      routing_key: z.string().length(32),
      event_action: z.literal("trigger"),
      dedup_key: z.string().min(1).max(255).optional(),
      payload: z
        .object({
          summary: z.string().min(1).max(1024),
          source: z.string().min(1),
          severity: z.enum(["critical", "error", "warning", "info"]),
          timestamp: iso.optional(),
          component: z.string().optional(),
          group: z.string().optional(),
          class: z.string().optional(),
          custom_details: z.record(z.string(), z.unknown()).optional(),
        })
        .strict(),
      images: z
        .array(
          z.object({ src: z.string().url(), href: z.string().url().optional(), alt: z.string().optional() }),
        )
        .optional(),
      links: z.array(z.object({ href: z.string().url(), text: z.string().optional() })).optional(),
      client: z.string().optional(),
      client_url: z.string().url().optional(),
    })
    .strict(),
  z
    .object({
      routing_key: z.string().length(32),
      event_action: z.enum(["acknowledge", "resolve"]),
      dedup_key: z.string().min(1).max(255),
    })
    .strict(),
]);
