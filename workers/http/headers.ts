/**
 * Security headers on every API response (the dashboard's page and assets get theirs from
 * web/public/_headers, served by Workers static assets). An API answer is data, never a page:
 * nothing in it may run, be framed or sniffed into another type.
 */
import type { MiddlewareHandler } from "hono";

export const API_SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
};

/** The same pairs as an array, built once rather than by `Object.entries` on every response. */
const HEADER_PAIRS = Object.entries(API_SECURITY_HEADERS);

export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  if (c.res.status === 101) return; // a WebSocket upgrade: nothing to protect, headers fixed
  let headers = c.res.headers;
  try {
    for (const [name, value] of HEADER_PAIRS) {
      if (!headers.has(name)) headers.set(name, value);
    }
  } catch {
    // Immutable headers (a response passed through from a binding or the cache): copy it.
    c.res = new Response(c.res.body, c.res);
    headers = c.res.headers;
    for (const [name, value] of HEADER_PAIRS) {
      if (!headers.has(name)) headers.set(name, value);
    }
  }
};
