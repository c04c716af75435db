/**
 * Sign-in for the dashboard: a token is exchanged for an HttpOnly session cookie, so the page
 * never keeps a token in script-readable storage.
 */
import { Hono } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { requireRole, roleOf, SESSION_COOKIE } from "./auth.ts";
import { ApiError } from "./errors.ts";

export const session = new Hono<{ Bindings: Env }>();

const signIn = z.object({ token: z.string().min(1, "token is required") });

session.post("/api/v1/session", async (c) => {
  const body = signIn.safeParse(await c.req.json().catch(() => undefined));
  if (!body.success) throw new ApiError(400, "invalid_body", 'Send {"token": "<viewer or admin token>"}.');
  const role = roleOf(body.data.token, c.env);
  if (!role) throw new ApiError(401, "invalid_token", "The token is not valid.");
  setCookie(c, SESSION_COOKIE, body.data.token, {
    httpOnly: true,
    sameSite: "Strict",
    secure: new URL(c.req.url).protocol === "https:",
    path: "/",
    maxAge: 60 * 60 * 24 * 30,
  });
  return c.json({ role });
});

session.get("/api/v1/session", requireRole("viewer"), (c) => {
  const token = c.req.header("authorization")?.replace(/^Bearer /, "") ?? "";
  return c.json({ role: roleOf(token, c.env) ?? roleFromCookie(c.req.header("cookie"), c.env) });
});

session.delete("/api/v1/session", (c) => {
  deleteCookie(c, SESSION_COOKIE, { path: "/" });
  return c.body(null, 204);
});

function roleFromCookie(cookie: string | undefined, env: Env) {
  const token = cookie
    ?.split(";")
    .map((p) => p.trim())
    .find((p) => p.startsWith(`${SESSION_COOKIE}=`))
    ?.slice(SESSION_COOKIE.length + 1);
  return roleOf(token, env);
}
