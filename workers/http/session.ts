/**
 * Sign-in for the dashboard: a token is exchanged for a signed, expiring session in an HttpOnly
 * `__Host-` cookie (Secure, SameSite=Strict), so the page never keeps a token in script-readable
 * storage and the cookie never holds the token. `DELETE` signs out: the session is revoked on the
 * server, not only forgotten by the browser.
 */
import { Hono } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { authenticate, authOf, requireRole, roleOf, SESSION_COOKIE_NAME, sameOrigin } from "./auth.ts";
import { ApiError } from "./errors.ts";
import { issueSession, revokeSession, SESSION_SECONDS } from "./session-token.ts";

export const session = new Hono<{ Bindings: Env }>();

const signIn = z.object({ token: z.string().min(1, "token is required") });

session.post("/api/v1/session", async (c) => {
  // A browser always sends Origin on a POST: another site must not sign this browser in.
  if (c.req.header("origin") && !sameOrigin(c)) {
    throw new ApiError(403, "cross_origin", "Sign in from this site's own sign-in screen.");
  }
  const body = signIn.safeParse(await c.req.json().catch(() => undefined));
  if (!body.success) throw new ApiError(400, "invalid_body", 'Send {"token": "<viewer or admin token>"}.');
  const role = roleOf(body.data.token, c.env);
  if (!role) throw new ApiError(401, "invalid_token", "The token is not valid.");
  const issued = await issueSession(c.env, role, body.data.token);
  setCookie(c, SESSION_COOKIE_NAME, issued.value, {
    prefix: "host",
    httpOnly: true,
    secure: true,
    sameSite: "Strict",
    path: "/",
    maxAge: SESSION_SECONDS[role],
  });
  c.header("Cache-Control", "no-store");
  return c.json({ role, expires_at: new Date(issued.session.exp * 1000).toISOString() });
});

session.get("/api/v1/session", requireRole("viewer"), (c) => {
  const auth = authOf(c);
  c.header("Cache-Control", "no-store");
  return c.json({
    role: auth?.role,
    expires_at: auth?.session ? new Date(auth.session.exp * 1000).toISOString() : null,
  });
});

/** Signs out: revokes the session (when there is a valid one) and clears the cookie. */
session.delete("/api/v1/session", async (c) => {
  let auth: Awaited<ReturnType<typeof authenticate>> | undefined;
  try {
    auth = await authenticate(c);
  } catch (error) {
    // An expired or revoked session: nothing to revoke, the cookie is cleared all the same.
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
  }
  if (auth?.session) await revokeSession(c.env, auth.session);
  deleteCookie(c, SESSION_COOKIE_NAME, { prefix: "host", path: "/", secure: true });
  return c.body(null, 204);
});
