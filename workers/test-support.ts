/**
 * Helpers for the Workers tests (inside workerd, against the run's real Postgres). Not part of the
 * deployed Worker: only test files import it.
 */
import { env, exports } from "cloudflare:workers";
import { randomPastDay } from "../test/support/events.ts";
import { TEST_ADMIN_TOKEN } from "../test/support/tokens.ts";
import { withDb } from "./db/client.ts";
import { eventChecksum } from "./ingest/checksum.ts";
import { identityOf, parseEvent } from "./ingest/events.ts";
import { sealSecret } from "./ingest/secret-box.ts";
import { newWebhookSecret, signedHeaders } from "./ingest/signature.ts";
import type { CdcMessage } from "./pipeline/message.ts";

/** Creates a source with a fresh secret and a unique name (each test owns its source). */
export async function createSource(prefix = "test"): Promise<{ name: string; secret: string }> {
  const name = `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
  const secret = newWebhookSecret();
  const sealed = await sealSecret(env, name, secret);
  await withDb(env, (db) => db.query("INSERT INTO sources (name, secret) VALUES ($1, $2)", [name, sealed]));
  return { name, secret };
}

export async function postSigned(
  source: { name: string; secret: string },
  body: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return exports.default.fetch(`http://pulse.test/api/v1/cdc/${source.name}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...signedHeaders(source.secret, body), ...headers },
    body,
  });
}

export async function query<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  return withDb(env, async (db) => (await db.query(text, params)).rows as T[]);
}

/**
 * A random past day no earlier test has sold on, for tests that compare a whole day's totals (a
 * day another test already used would add its sales: 30 years of days, hundreds used per run).
 */
export async function unusedPastDay(): Promise<string> {
  for (;;) {
    const day = randomPastDay();
    const used = await query("SELECT 1 FROM kpi_day_slice WHERE day = $1 AND orders <> 0 LIMIT 1", [day]);
    if (used.length === 0) return day;
  }
}

/** Polls `read` until `done` holds or the time is up (queue delivery is asynchronous). */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  ms = 10_000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A request with the admin token. */
export function admin(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(`http://pulse.test${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
      "content-type": "application/json",
      ...init.headers,
    },
  });
}

/** Runs the non-additive recomputation the consumer does after each batch (for direct assertions). */
export async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 50));
}

/** Nothing listens there: every connection is refused, as when Postgres is down. */
export const unreachableDatabaseEnv = { ...env, DATABASE_URL: "postgres://postgres@127.0.0.1:1/postgres" };

/** A queue message as the webhook would send it for `events` (each valid, with its checksum). */
export function cdcMessageOf(source: string, events: unknown[]): CdcMessage {
  return {
    v: 1,
    id: crypto.randomUUID(),
    source,
    received_at: new Date().toISOString(),
    events: events.map((raw) => {
      const parsed = parseEvent(raw);
      if (!parsed.ok) throw new Error(parsed.reasons.join("; "));
      return { checksum: eventChecksum(source, identityOf(parsed.change)), raw };
    }),
    rejected: [],
  };
}

/** A native `sale` INSERT of `region` on `day` (customer `<region>-c`, product `<region>-p`), as a body. */
export function regionSaleBody(region: string, day: string, quantity: number, unitPrice: number): string {
  return JSON.stringify({
    event_type: "INSERT",
    entity: "sale",
    event_timestamp: new Date().toISOString(),
    payload: {
      sale_id: crypto.randomUUID(),
      customer_id: `${region}-c`,
      product_id: `${region}-p`,
      sale_timestamp: `${day}T12:00:00Z`,
      quantity,
      unit_price: unitPrice,
      region,
    },
  });
}
