/**
 * Per-IP rate limit over the whole API, with the Workers rate-limiting binding `API_IP_LIMIT`
 * (counted per Cloudflare location, approximately). The client is `CF-Connecting-IP`, which
 * Cloudflare sets on every request (and `wrangler dev` too); a request without it (a test calling
 * the Worker directly) is not counted. Over the limit: 429 with `Retry-After`.
 */
import type { MiddlewareHandler } from "hono";
import { ApiError } from "./errors.ts";

/** The period of every `[[ratelimits]]` binding in wrangler.toml (10 or 60 s: Cloudflare's only choices). */
export const RATE_LIMIT_PERIOD_SECONDS = 10;

export class RateLimited extends ApiError {
  readonly retryAfter = RATE_LIMIT_PERIOD_SECONDS;
}

export function tooManyRequests(message: string): RateLimited {
  return new RateLimited(429, "rate_limited", message);
}

export const ipRateLimit: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
  const ip = c.req.header("cf-connecting-ip");
  if (ip) {
    const { success } = await c.env.API_IP_LIMIT.limit({ key: `ip:${ip}` });
    if (!success) {
      throw tooManyRequests(
        `Too many requests from ${ip}; wait ${RATE_LIMIT_PERIOD_SECONDS} s and slow down.`,
      );
    }
  }
  await next();
};
