/**
 * Dashboard sessions: what the cookie holds and its flags, expiry and sign-out enforced by the
 * server, the token-rotation cut-off, Origin checks on cookie-authenticated changes, and `?token=`
 * for viewers only.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { TEST_ADMIN_TOKEN, TEST_VIEWER_TOKEN } from "../../test/support/tokens.ts";
import { query } from "../test-support.ts";
import { SESSION_COOKIE } from "./auth.ts";
import { issueSession, verifySession } from "./session-token.ts";

const BASE = "http://pulse.test";
const ORIGIN = new URL(BASE).origin;

function call(path: string, init: RequestInit = {}) {
  return exports.default.fetch(`${BASE}${path}`, init);
}

async function signIn(token: string): Promise<{ setCookie: string; value: string; body: unknown }> {
  const response = await call("/api/v1/session", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token }),
  });
  expect(response.status).toBe(200);
  const setCookie = response.headers.get("set-cookie") ?? "";
  const value = new RegExp(`^${SESSION_COOKIE}=([^;]+)`).exec(setCookie)?.[1] ?? "";
  return { setCookie, value, body: await response.json() };
}

const withCookie = (value: string, headers: Record<string, string> = {}) => ({
  cookie: `${SESSION_COOKIE}=${value}`,
  ...headers,
});

function payloadOf(value: string): Record<string, unknown> {
  const part = value.split(".")[1] ?? "";
  return JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/")));
}

// Database round trips: generous under a loaded machine.
describe("the session cookie", { timeout: 30_000 }, () => {
  it("is a signed {role, exp, sid}, never the token, with __Host-, Secure, HttpOnly and SameSite=Strict", {
    timeout: 20_000,
  }, async () => {
    const before = Math.floor(Date.now() / 1000);
    const { setCookie, value, body } = await signIn(TEST_VIEWER_TOKEN);
    expect(setCookie).toMatch(/^__Host-pulse_session=v1\./);
    expect(setCookie).toMatch(/; Path=\/(;|$)/);
    expect(setCookie).toMatch(/; HttpOnly(;|$)/);
    expect(setCookie).toMatch(/; Secure(;|$)/);
    expect(setCookie).toMatch(/; SameSite=Strict(;|$)/);
    expect(setCookie).not.toMatch(/Domain=/i);
    expect(setCookie).toMatch(/Max-Age=604800/);
    expect(value).not.toContain(TEST_VIEWER_TOKEN);
    expect(value).not.toContain(btoa(TEST_VIEWER_TOKEN).replace(/=+$/, ""));
    const payload = payloadOf(value);
    expect(payload).toMatchObject({ role: "viewer", sid: expect.any(String) });
    expect(payload.exp).toBeGreaterThanOrEqual(before + 7 * 86_400);
    expect(JSON.stringify(payload)).not.toContain(TEST_VIEWER_TOKEN);
    expect(body).toMatchObject({ role: "viewer", expires_at: expect.any(String) });

    const me = await call("/api/v1/session", { headers: withCookie(value) });
    expect(await me.json()).toMatchObject({ role: "viewer" });
    expect((await call("/api/v1/kpis/summary", { headers: withCookie(value) })).status).toBe(200);
  });

  it("an admin session lasts 12 hours", async () => {
    const { setCookie, value } = await signIn(TEST_ADMIN_TOKEN);
    expect(setCookie).toMatch(/Max-Age=43200/);
    expect(payloadOf(value).role).toBe("admin");
  });

  it("a payload changed by hand (viewer → admin) is refused", async () => {
    const { value } = await signIn(TEST_VIEWER_TOKEN);
    const [v, payload, mac] = value.split(".");
    const forged = {
      ...JSON.parse(atob((payload ?? "").replace(/-/g, "+").replace(/_/g, "/"))),
      role: "admin",
    };
    const encoded = btoa(JSON.stringify(forged)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const response = await call("/api/v1/sources", { headers: withCookie(`${v}.${encoded}.${mac}`) });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: "session_invalid" } });
    // The raw token in the cookie (what the cookie used to be) is no session either.
    const raw = await call("/api/v1/kpis/summary", { headers: withCookie(TEST_VIEWER_TOKEN) });
    expect(raw.status).toBe(401);
  });

  it("expires on the server: a session past its exp is refused whatever the browser keeps", async () => {
    const { value } = await issueSession(env, "viewer", TEST_VIEWER_TOKEN, Date.now() - 8 * 86_400_000);
    const response = await call("/api/v1/kpis/summary", { headers: withCookie(value) });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: "session_expired" } });
  });

  it("ends when the token it was issued for is rotated", async () => {
    const { value } = await issueSession(env, "viewer", TEST_VIEWER_TOKEN);
    expect((await verifySession(env, value)).ok).toBe(true);
    expect(await verifySession({ ...env, VIEWER_TOKEN: "a-new-viewer-token" }, value)).toEqual({
      ok: false,
      reason: "expired",
    });
  });

  it("sign-out revokes it on the server: the same cookie is refused afterwards", async () => {
    const { value } = await signIn(TEST_ADMIN_TOKEN);
    const sid = payloadOf(value).sid as string;
    const out = await call("/api/v1/session", {
      method: "DELETE",
      headers: withCookie(value, { origin: ORIGIN }),
    });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(/^__Host-pulse_session=;.*Max-Age=0/);
    const rows = await query<{ sid: string }>("SELECT sid FROM revoked_sessions WHERE sid = $1", [sid]);
    expect(rows).toHaveLength(1);
    const again = await call("/api/v1/kpis/summary", { headers: withCookie(value) });
    expect(again.status).toBe(401);
    expect(await again.json()).toMatchObject({ error: { code: "session_revoked" } });
  });
});

// Database round trips: generous under a loaded machine.
describe("cookie-authenticated changes check Origin", { timeout: 30_000 }, () => {
  it("same origin → allowed; another origin or none → 403", async () => {
    const { value } = await signIn(TEST_ADMIN_TOKEN);
    const reconnect = (headers: Record<string, string>) =>
      call("/api/v1/live/reconnect", { method: "POST", headers: withCookie(value, headers) });
    expect((await reconnect({ origin: ORIGIN })).status).toBe(200);
    expect((await reconnect({ "sec-fetch-site": "same-origin" })).status).toBe(200);
    const evil = await reconnect({ origin: "https://evil.example" });
    expect(evil.status).toBe(403);
    expect(await evil.json()).toMatchObject({ error: { code: "cross_origin" } });
    expect((await reconnect({ "sec-fetch-site": "cross-site", origin: "https://evil.example" })).status).toBe(
      403,
    );
    expect((await reconnect({})).status).toBe(403);
    // The bearer token is not a browser's ambient credential: no Origin needed.
    const bearer = await call("/api/v1/live/reconnect", {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    expect(bearer.status).toBe(200);
  });

  it("the WebSocket upgrade by cookie from another origin → 403", async () => {
    const { value } = await signIn(TEST_VIEWER_TOKEN);
    const response = await call("/api/v1/live", {
      headers: withCookie(value, { upgrade: "websocket", origin: "https://evil.example" }),
    });
    expect(response.status).toBe(403);
  });
});

// Database round trips: generous under a loaded machine.
describe("?token= on the WebSocket", { timeout: 30_000 }, () => {
  it("works for the viewer token only; the admin token in a URL → 401", async () => {
    const viewerSocket = await call(`/api/v1/live?token=${TEST_VIEWER_TOKEN}`, {
      headers: { upgrade: "websocket" },
    });
    expect(viewerSocket.status).toBe(101);
    viewerSocket.webSocket?.accept();
    viewerSocket.webSocket?.close();
    const adminSocket = await call(`/api/v1/live?token=${TEST_ADMIN_TOKEN}`, {
      headers: { upgrade: "websocket" },
    });
    expect(adminSocket.status).toBe(401);
    expect(((await adminSocket.json()) as { error: { message: string } }).error.message).toMatch(
      /viewer token/,
    );
    // Elsewhere ?token= is no credential at all.
    expect((await call(`/api/v1/kpis/summary?token=${TEST_VIEWER_TOKEN}`)).status).toBe(401);
  });
});
