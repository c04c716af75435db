/**
 * What travels on the `alert-deliveries` queue: a lifecycle transition from a room (recorded as an
 * incident, then tried at once on each of the rule's channels), one delivery to one channel (a
 * retry of a first attempt that failed, retried on its own), and a subscriber's daily briefing. Queue bodies are parsed, never cast.
 */
import { z } from "zod";
import { briefingPayloadSchema } from "../insights/subscriptions/message.ts";
import { alertPayloadSchema } from "./payload.ts";

export const transitionMessage = z.object({
  type: z.literal("transition"),
  kind: z.enum(["firing", "resolved", "renotify"]),
  /** `dim|member` of the slice. */
  slice: z.string().max(130),
  /** False during the rule's quiet hours: the incident is recorded, nobody is notified. */
  notify: z.boolean(),
  channels: z.array(z.string()),
  payload: alertPayloadSchema,
});

export const deliverMessage = z.object({
  type: z.literal("deliver"),
  kind: z.enum(["firing", "resolved", "renotify", "test"]),
  channelId: z.string(),
  /** Stable across retries: the webhook's `webhook-id`. */
  deliveryId: z.string().max(160),
  /** Attempts made before this message was queued (the first one is made as the incident is recorded). */
  earlierAttempts: z.number().int().min(0).max(10).optional(),
  payload: alertPayloadSchema,
});

/** A subscriber's daily briefing, delivered through the same channels, retries and log. */
export const briefingMessage = z.object({
  type: z.literal("briefing"),
  channelId: z.string(),
  /** `briefing.<subscription>.<local date>.<channel>`: one per subscriber and day. */
  deliveryId: z.string().max(160),
  payload: briefingPayloadSchema,
});

export const alertMessage = z.discriminatedUnion("type", [
  transitionMessage,
  deliverMessage,
  briefingMessage,
]);
export type TransitionMessage = z.infer<typeof transitionMessage>;
export type DeliverMessage = z.infer<typeof deliverMessage>;
export type BriefingMessage = z.infer<typeof briefingMessage>;
export type AlertMessage = z.infer<typeof alertMessage>;

export function deliveryIdOf(m: Pick<TransitionMessage, "kind" | "payload">, channelId: string): string {
  // A re-notification is a new message each time; firing and resolved happen once per alert.
  const suffix = m.kind === "renotify" ? `.${Date.parse(m.payload.sources.evaluated_at)}` : "";
  return `${m.payload.alert_id}.${m.kind}${suffix}.${channelId}`;
}
