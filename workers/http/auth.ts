/**
 * People's access: a viewer token (dashboard and read APIs) and an admin token. A request proves
 * its role with
 * - `Authorization: Bearer <token>` (scripts, curl, source systems' tooling);
 * - the `__Host-pulse_session` cookie set by `POST /api/v1/session` (the dashboard): a signed
 *   session (see session-token.ts), never the token itself. A cookie-authenticated request that
 *   changes something (any method but GET/HEAD/OPTIONS) or opens the WebSocket must come from
 *   this origin (`Origin`, or `Sec-Fetch-Site: same-origin`), else 403;
 * - `?token=` on the WebSocket upgrade only, and only the viewer token: the admin token must never
 *   land in a URL (proxy and request logs keep URLs).
 */
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { accessTokensOf } from "../secrets.ts";
import { ApiError } from "./errors.ts";
import { type SessionEnv, type SessionToken, verifySession } from "./session-token.ts";

/** The cookie's name as set (`__Host-`: Secure, Path=/, no Domain: no subdomain can set or read it). */
export const SESSION_COOKIE_NAME = "pulse_session";
export const SESSION_COOKIE = `__Host-${SESSION_COOKIE_NAME}`;

export type Role = "viewer" | "admin";

export interface AuthEnv extends SessionEnv {
  VIEWER_TOKEN: string;
  ADMIN_TOKEN: string;
}

export interface Authenticated {
  role: Role;
  via: "bearer" | "cookie" | "query";
  session?: SessionToken;
}

const granted = new WeakMap<Request, Authenticated>();
/** Milliseconds `requireRole` took per request, for the handlers' `Server-Timing`. */
const authTime = new WeakMap<Request, number>();

/** Who the request was authenticated as (after `requireRole`). */
export function authOf(c: Context): Authenticated | undefined {
  return granted.get(c.req.raw);
}

/**
 * How long authenticating the request took (after `requireRole`; 0 before). In workerd the clock
 * moves only across I/O: a bearer token compared in memory reads 0, a session cookie's revocation
 * lookup shows.
 */
export function authDurationOf(c: Context): number {
  return authTime.get(c.req.raw) ?? 0;
}

/**
 * Lets a request the Worker made itself (a part of `GET /api/v1/batch`) carry the identity its
 * parent already proved, so `requireRole` does not check it again. Only the Worker holds these
 * `Request` objects: nothing from outside can be vouched for.
 */
export function vouchFor(request: Request, auth: Authenticated): void {
  granted.set(request, auth);
}

/** Constant-time string comparison (tokens must not leak through timing). */
const encoder = new TextEncoder();

export function safeEqual(a: string, b: string): boolean {
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  let diff = left.length ^ right.length;
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    diff |= (left[i] ?? 0) ^ (right[i] ?? 0);
  }
  return diff === 0;
}

/** The role a token grants; the Worker's own tokens are read through their schema (`secrets.ts`). */
export function roleOf(
  token: string | undefined,
  env: { VIEWER_TOKEN: string; ADMIN_TOKEN: string },
): Role | undefined {
  if (!token) return undefined;
  const tokens = accessTokensOf(env);
  if (safeEqual(token, tokens.admin)) return "admin";
  if (safeEqual(token, tokens.viewer)) return "viewer";
  return undefined;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Whether a browser sent this request from a page of this origin. */
export function sameOrigin(c: Context): boolean {
  const site = c.req.header("sec-fetch-site");
  if (site === "same-origin") return true;
  const origin = c.req.header("origin");
  if (!origin) return false;
  return origin === new URL(c.req.url).origin;
}

/** Authenticates the request; throws the documented 401 when it cannot. */
export async function authenticate(
  c: Context,
  options: { allowQueryToken?: boolean } = {},
): Promise<Authenticated> {
  const env = c.env as AuthEnv;
  const header = c.req.header("authorization");
  if (header?.startsWith("Bearer ")) {
    const role = roleOf(header.slice("Bearer ".length).trim(), env);
    if (!role) throw new ApiError(401, "invalid_token", "The token is not valid.");
    return { role, via: "bearer" };
  }
  const cookie = getCookie(c, SESSION_COOKIE_NAME, "host");
  if (cookie) {
    const verified = await verifySession(env, cookie);
    if (!verified.ok) {
      const message = {
        expired: "The session has expired; sign in again.",
        revoked: "The session was signed out; sign in again.",
        invalid: "The session is not valid; sign in again.",
      }[verified.reason];
      throw new ApiError(401, `session_${verified.reason}`, message);
    }
    const unsafe = !SAFE_METHODS.has(c.req.method) || c.req.header("upgrade")?.toLowerCase() === "websocket";
    if (unsafe && !sameOrigin(c)) {
      throw new ApiError(
        403,
        "cross_origin",
        "A request authenticated by the session cookie must come from this site's own pages.",
      );
    }
    return { role: verified.session.role, via: "cookie", session: verified.session };
  }
  const query = options.allowQueryToken ? c.req.query("token") : undefined;
  if (query) {
    const role = roleOf(query, env);
    if (role !== "viewer") {
      throw new ApiError(
        401,
        "invalid_token",
        "Only the viewer token may be sent as ?token=; send other tokens as `Authorization: Bearer <token>`.",
      );
    }
    return { role, via: "query" };
  }
  throw new ApiError(401, "unauthenticated", "Send `Authorization: Bearer <token>` or sign in first.");
}

/** Requires at least `role` (an admin may do what a viewer may). */
export function requireRole(
  role: Role,
  options: { allowQueryToken?: boolean } = {},
): MiddlewareHandler<{
  Bindings: AuthEnv;
}> {
  return async (c, next) => {
    const t0 = performance.now();
    const auth = granted.get(c.req.raw) ?? (await authenticate(c, options));
    authTime.set(c.req.raw, performance.now() - t0);
    if (role === "admin" && auth.role !== "admin") {
      throw new ApiError(403, "forbidden", "This needs the admin token.");
    }
    granted.set(c.req.raw, auth);
    await next();
  };
}
