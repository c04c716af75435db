/**
 * Abuse limits of the webhook, run once a request's signature has verified (so nobody can use up a
 * source's allowance, or burn its message ids, without its secret):
 * - per source: the `WEBHOOK_SOURCE_LIMIT` rate-limiting binding, keyed by source name → 429;
 * - replays: the (`webhook-id`, `webhook-timestamp`) pair is claimed in the source's
 *   `WebhookReplayGuard`; a pair seen within the tolerance window → 409.
 * The per-IP limit over the whole API runs earlier, before any work (workers/http/rate-limit.ts).
 */
import type { Context } from "hono";
import { ApiError } from "../http/errors.ts";
import { RATE_LIMIT_PERIOD_SECONDS, tooManyRequests } from "../http/rate-limit.ts";
import { REPLAY_WINDOW_MS } from "./replay-guard.ts";

export async function guardVerifiedWebhook(
  c: Context<{ Bindings: Env }>,
  source: string,
  headers: { "webhook-id": string; "webhook-timestamp": string },
): Promise<void> {
  const { success } = await c.env.WEBHOOK_SOURCE_LIMIT.limit({ key: `source:${source}` });
  if (!success) {
    throw tooManyRequests(
      `Source "${source}" sent more than its allowance of requests in ${RATE_LIMIT_PERIOD_SECONDS} s; batch more events per request or slow down.`,
    );
  }
  const seconds = Number(headers["webhook-timestamp"]);
  const guard = c.env.WEBHOOK_REPLAY_GUARD.get(c.env.WEBHOOK_REPLAY_GUARD.idFromName(source));
  const fresh = await guard.claim(`${headers["webhook-id"]}.${seconds}`, seconds * 1000 + REPLAY_WINDOW_MS);
  if (!fresh) {
    throw new ApiError(
      409,
      "replayed_webhook",
      "This exact request (same webhook-id and webhook-timestamp) was already accepted; a retry must be signed afresh.",
    );
  }
}
