/** Helpers for the alert Workers tests (only test files import this). */
import { env, exports } from "cloudflare:workers";
import { z } from "zod";
import { TEST_ADMIN_TOKEN } from "../../../test/support/tokens.ts";
import type { Received } from "./receiver.ts";

export const receiverUrl = (): string =>
  z.object({ ALERT_RECEIVER_URL: z.string().url() }).parse(env).ALERT_RECEIVER_URL;

/** A unique receiver key (each test owns what arrives under it). */
export const hookKey = (prefix: string) => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;

export async function receivedAt(key: string): Promise<Received[]> {
  return (await fetch(`${receiverUrl()}/requests/${key}`)).json();
}

export function admin(method: string, path: string, body?: unknown): Promise<Response> {
  return exports.default.fetch(`http://pulse.test${path}`, {
    method,
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, "content-type": "application/json" },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
}

export const uniqueId = (prefix: string) => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;

/** The first database connection of a run is slow (seconds on PGlite); pay it outside the tests. */
export const WARM_UP_MS = 30_000;
export async function warmUp(): Promise<void> {
  await admin("GET", "/api/v1/alerts/rules");
}
