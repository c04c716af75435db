/**
 * Sends one alert to one channel and says what happened, without deciding about retries: the
 * queue consumer and the channel test both use it.
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

export async function sendToChannel(
  env: SendEnv,
  channel: Channel,
  payload: AlertPayload,
  deliveryId: string,
  now = new Date(),
): Promise<SendResult> {
  const started = performance.now();
  const config = channel.config;
  let result: Omit<SendResult, "durationMs">;
  switch (config.type) {
    case "webhook": {
      const request = webhookRequest(
        payload,
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
        JSON.stringify(slackMessage(payload)),
      );
      break;
    case "pagerduty":
      result = await post(
        config.url,
        { "content-type": "application/json" },
        JSON.stringify(pagerDutyEvent(payload, config.routing_key)),
      );
      break;
    case "email": {
      if (!env.ALERT_EMAIL || !env.ALERT_EMAIL_FROM) {
        result = {
          ok: false,
          status: null,
          error: "no send_email binding or ALERT_EMAIL_FROM configured",
          retryable: false,
          gone: false,
        };
        break;
      }
      try {
        const message = emailMessage(payload);
        await env.ALERT_EMAIL.send({ from: env.ALERT_EMAIL_FROM, to: config.to, ...message });
        result = { ok: true, status: null, error: null, retryable: false, gone: false };
      } catch (error) {
        result = { ok: false, status: null, error: String(error), retryable: true, gone: false };
      }
      break;
    }
  }
  return { ...result, durationMs: performance.now() - started };
}
