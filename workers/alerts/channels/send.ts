/**
 * Sends one message (an alert, a briefing) to one channel and says what happened, without deciding
 * about retries: the queue consumer and the channel test both use it.
 */
import type { AlertPayload } from "../payload.ts";
import type { Channel } from "../rules.ts";
import { emailMessage, pagerDutyEvent, slackMessage, webhookRequest } from "./formats.ts";

export interface SendResult {
  ok: boolean;
  /** The HTTP status, when there was an answer. */
  status: number | null;
  error: string | null;
  /** Worth trying again later (5xx, 429, a network error or a timeout). */
  retryable: boolean;
  /** 410 Gone: the endpoint says it will never accept anything again. */
  gone: boolean;
  durationMs: number;
}

export interface SendEnv {
  ALERT_EMAIL?: SendEmail;
  ALERT_EMAIL_FROM?: string;
}

const TIMEOUT_MS = 10_000;

async function post(
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<Omit<SendResult, "durationMs">> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers,
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const text = response.ok ? "" : (await response.text().catch(() => "")).slice(0, 300);
    await response.body?.cancel().catch(() => undefined);
    const status = response.status;
    return {
      ok: response.ok,
      status,
      error: response.ok ? null : `HTTP ${status}${text ? `: ${text}` : ""}`,
      retryable: status === 429 || status >= 500,
      gone: status === 410,
    };
  } catch (error) {
    return { ok: false, status: null, error: String(error), retryable: true, gone: false };
  }
}

/** A message in each channel's format; PagerDuty's is null for what must not page anyone. */
export interface Rendered {
  webhook: object;
  slack(): Record<string, unknown>;
  pagerDuty(routingKey: string): Record<string, unknown> | null;
  email(): { subject: string; html: string; text: string };
}

export const renderAlert = (payload: AlertPayload): Rendered => ({
  webhook: payload,
  slack: () => slackMessage(payload),
  pagerDuty: (routingKey) => pagerDutyEvent(payload, routingKey),
  email: () => emailMessage(payload),
});

const refused = (error: string): Omit<SendResult, "durationMs"> => ({
  ok: false,
  status: null,
  error,
  retryable: false,
  gone: false,
});

export async function sendToChannel(
  env: SendEnv,
  channel: Channel,
  message: Rendered,
  deliveryId: string,
  now = new Date(),
): Promise<SendResult> {
  const started = performance.now();
  const config = channel.config;
  let result: Omit<SendResult, "durationMs">;
  switch (config.type) {
    case "webhook": {
      const request = webhookRequest(
        message.webhook,
        { url: config.url, secret: channel.secret ?? "" },
        deliveryId,
        now,
      );
      result = await post(request.url, request.headers, request.body);
      break;
    }
    case "slack":
      result = await post(
        config.url,
        { "content-type": "application/json" },
        JSON.stringify(message.slack()),
      );
      break;
    case "pagerduty": {
      const event = message.pagerDuty(config.routing_key);
      result = event
        ? await post(config.url, { "content-type": "application/json" }, JSON.stringify(event))
        : refused("this message does not page anyone: PagerDuty receives alerts only");
      break;
    }
    case "email": {
      if (!env.ALERT_EMAIL || !env.ALERT_EMAIL_FROM) {
        result = refused("no send_email binding or ALERT_EMAIL_FROM configured");
        break;
      }
      try {
        await env.ALERT_EMAIL.send({ from: env.ALERT_EMAIL_FROM, to: config.to, ...message.email() });
        result = { ok: true, status: null, error: null, retryable: false, gone: false };
      } catch (error) {
        result = { ok: false, status: null, error: String(error), retryable: true, gone: false };
      }
      break;
    }
  }
  return { ...result, durationMs: performance.now() - started };
}
