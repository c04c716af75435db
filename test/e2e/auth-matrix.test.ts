/**
 * The auth matrix: every endpoint × every kind of caller — no credential, the viewer token, the
 * admin token, a webhook signed with the wrong secret, an expired session cookie, a signed-out
 * (revoked) one, and an admin cookie sent from another origin — gets the status the README
 * documents, from a running Worker over real HTTP.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueSession } from "../../workers/http/session-token.ts";
import { newWebhookSecret, signedHeaders } from "../../workers/ingest/signature.ts";
import {
  CALLERS,
  type Caller,
  ENDPOINTS,
  type Endpoint,
  expected,
  markdownTable,
} from "../support/auth-matrix.ts";
import { type Stack, startStack } from "../support/stack.ts";
import { TEST_ADMIN_TOKEN, TEST_SECRET_KEY, TEST_VIEWER_TOKEN } from "../support/tokens.ts";

const COOKIE = "__Host-pulse_session";
const EVIL = "https://evil.example";

let stack: Stack;
let cookies: { expired: string; revoked: string; admin: string };

async function signIn(token: string): Promise<string> {
  const response = await fetch(new URL("/api/v1/session", stack.url), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token }),
  });
  expect(response.status).toBe(200);
  const value = new RegExp(`^${COOKIE}=([^;]+)`).exec(response.headers.get("set-cookie") ?? "")?.[1];
  expect(value).toBeTruthy();
  return value ?? "";
}

beforeAll(async () => {
  stack = await startStack();
  const sessionEnv = {
    SECRET_KEY: TEST_SECRET_KEY,
    VIEWER_TOKEN: TEST_VIEWER_TOKEN,
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    DATABASE_URL: "",
  };
  const expired = await issueSession(sessionEnv, "admin", TEST_ADMIN_TOKEN, Date.now() - 13 * 3600_000);
  const revoked = await signIn(TEST_ADMIN_TOKEN);
  const out = await fetch(new URL("/api/v1/session", stack.url), {
    method: "DELETE",
    headers: { cookie: `${COOKIE}=${revoked}`, origin: stack.url.origin },
  });
  expect(out.status).toBe(204);
  cookies = { expired: expired.value, revoked, admin: await signIn(TEST_ADMIN_TOKEN) };
});
afterAll(async () => {
  await stack?.close();
});

function request(endpoint: Endpoint, caller: Caller): Promise<Response> {
  const path = endpoint.sample.path.replace("matrix-source", stack.source.name);
  const body = endpoint.sample.body;
  const headers: Record<string, string> = body ? { "content-type": "application/json" } : {};
  switch (caller) {
    case "no token":
      break;
    case "viewer":
      headers.authorization = `Bearer ${TEST_VIEWER_TOKEN}`;
      break;
    case "admin":
      headers.authorization = `Bearer ${TEST_ADMIN_TOKEN}`;
      break;
    case "wrong source secret":
      Object.assign(headers, signedHeaders(newWebhookSecret(), body ?? ""));
      break;
    case "expired session":
      headers.cookie = `${COOKIE}=${cookies.expired}`;
      headers.origin = stack.url.origin;
      break;
    case "revoked session":
      headers.cookie = `${COOKIE}=${cookies.revoked}`;
      headers.origin = stack.url.origin;
      break;
    case "cross-origin admin cookie":
      headers.cookie = `${COOKIE}=${cookies.admin}`;
      headers.origin = EVIL;
      headers["sec-fetch-site"] = "cross-site";
      break;
  }
  return fetch(new URL(path, stack.url), { method: endpoint.method, headers, ...(body ? { body } : {}) });
}

describe("the auth matrix", () => {
  it("the README documents exactly this table", () => {
    expect(readFileSync(new URL("../../README.md", import.meta.url), "utf8")).toContain(markdownTable());
  });

  for (const endpoint of ENDPOINTS) {
    it(`${endpoint.method} ${endpoint.route} (${endpoint.access})`, async () => {
      const got: Record<string, number> = {};
      const want: Record<string, number> = {};
      for (const caller of CALLERS) {
        const status = expected(endpoint, caller);
        const response = await request(endpoint, caller);
        await response.body?.cancel();
        got[caller] = response.status;
        want[caller] = status === "ok" ? endpoint.ok : status;
      }
      expect(got).toEqual(want);
    });
  }

  it("a signed request from the right source passes (the 401s above are the credentials, not the route)", async () => {
    const body = "[]";
    const response = await fetch(new URL(`/api/v1/cdc/${stack.source.name}`, stack.url), {
      method: "POST",
      headers: { "content-type": "application/json", ...signedHeaders(stack.source.secret, body) },
      body,
    });
    expect(response.status).toBe(202);
  });
});
