/**
 * People's access: a viewer token (dashboard and read APIs) and an admin token. A token arrives as
 * `Authorization: Bearer …`, as the HttpOnly session cookie set by `POST /api/v1/session`, or — for
 * the WebSocket upgrade, where browsers cannot set headers — as `?token=`.
 */
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { ApiError } from "./errors.ts";

export const SESSION_COOKIE = "pulse_session";

export type Role = "viewer" | "admin";

export interface AuthEnv {
  VIEWER_TOKEN: string;
  ADMIN_TOKEN: string;
}

/** Constant-time string comparison (tokens must not leak through timing). */
export function safeEqual(a: string, b: string): boolean {
  const left = new TextEncoder().encode(a);
  const right = new TextEncoder().encode(b);
  let diff = left.length ^ right.length;
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    diff |= (left[i] ?? 0) ^ (right[i] ?? 0);
  }
  return diff === 0;
}

export function roleOf(token: string | undefined, env: AuthEnv): Role | undefined {
  if (!token) return undefined;
  if (env.ADMIN_TOKEN && safeEqual(token, env.ADMIN_TOKEN)) return "admin";
  if (env.VIEWER_TOKEN && safeEqual(token, env.VIEWER_TOKEN)) return "viewer";
  return undefined;
}

function presentedToken(c: Context, allowQuery: boolean): string | undefined {
  const header = c.req.header("authorization");
  if (header?.startsWith("Bearer ")) return header.slice("Bearer ".length).trim();
  const cookie = getCookie(c, SESSION_COOKIE);
  if (cookie) return cookie;
  return allowQuery ? (c.req.query("token") ?? undefined) : undefined;
}

/** Requires at least `role` (an admin may do what a viewer may). */
export function requireRole(
  role: Role,
  options: { allowQueryToken?: boolean } = {},
): MiddlewareHandler<{
  Bindings: AuthEnv;
}> {
  return async (c, next) => {
    const token = presentedToken(c, options.allowQueryToken ?? false);
    if (!token) {
      throw new ApiError(401, "unauthenticated", "Send `Authorization: Bearer <token>` or sign in first.");
    }
    const granted = roleOf(token, c.env);
    if (!granted) throw new ApiError(401, "invalid_token", "The token is not valid.");
    if (role === "admin" && granted !== "admin") {
      throw new ApiError(403, "forbidden", "This needs the admin token.");
    }
    await next();
  };
}
