/**
 * Source systems and their webhook secrets, read from Postgres and cached per isolate for a short
 * time so the webhook path rarely touches the database. A failed verification against a cached
 * entry re-reads the source once, so a rotated secret works at once.
 *
 * Secrets are stored encrypted (secret-box.ts) and opened here only. A previous secret whose grace
 * period has ended is cleared from the row when next read (and by the scheduled job).
 *
 * Names that are not sources are remembered too (a negative cache, `UNKNOWN_TTL_MS`, bounded), so
 * requests to made-up names cost no database round trip each.
 *
 * Each secret has a key: the SHA-256 of its stored (encrypted) form, which the webhook stamps on
 * the messages it verified with it. Another isolate may hold a secret for up to `TTL_MS` after it
 * was rotated away or its source deleted; the database records when each key stopped being valid
 * (`source_key_revocations`, filled by a trigger on `sources`), and the consumer quarantines what
 * such a key signed after that moment. So a revocation stops the data at once, in every isolate.
 */
import { z } from "zod";
import { type DbEnv, withDb } from "../db/client.ts";
import type { KeyEnv } from "../http/keys.ts";
import { isSealed, openSecret, sealSecret } from "./secret-box.ts";
import { newWebhookSecret } from "./signature.ts";

export interface SourceSecrets {
  name: string;
  secrets: string[];
  /** Each secret's key (see above), in the same order. */
  keys: string[];
}

export type SourceEnv = DbEnv & KeyEnv;

const TTL_MS = 30_000;
/** How long a name found not to be a source is answered from memory. */
export const UNKNOWN_TTL_MS = 10_000;
const MAX_UNKNOWN = 10_000;

const cache = new Map<string, { value: SourceSecrets; expires: number }>();
const unknown = new Map<string, number>();

/**
 * A source's credentials as the database hands them over: parsed, not cast, so a row that is not
 * what the webhook expects (a null secret, a changed column) fails loudly here rather than as a
 * signature mismatch later.
 */
const credentialsRow = z.object({
  name: z.string(),
  secret: z.string().min(1),
  previous_secret: z.string().min(1).nullable(),
  previous_live: z
    .boolean()
    .nullable()
    .transform((live) => live === true),
  previous_expired: z
    .boolean()
    .nullable()
    .transform((expired) => expired === true),
});
type Row = z.output<typeof credentialsRow>;

async function load(env: SourceEnv, name: string): Promise<SourceSecrets | undefined> {
  const row = await withDb(env, async (db) => {
    const found = await db.query(
      `SELECT name, secret, previous_secret,
              previous_secret_expires_at > now() AS previous_live,
              previous_secret IS NOT NULL AND NOT (previous_secret_expires_at > now()) AS previous_expired
         FROM sources WHERE name = $1`,
      [name],
    );
    const row = found.rows[0] === undefined ? undefined : credentialsRow.parse(found.rows[0]);
    if (row?.previous_expired) await clearExpiredSecrets(db, name);
    if (row && !isSealed(row.secret)) return sealStored(env, db, row);
    return row;
  });
  if (!row) {
    cache.delete(name);
    rememberUnknown(name);
    return undefined;
  }
  unknown.delete(name);
  const stored = [row.secret];
  if (row.previous_secret && row.previous_live) stored.push(row.previous_secret);
  const secrets = await Promise.all(stored.map((s) => openStored(env, name, s)));
  const keys = await Promise.all(stored.map(secretKey));
  const value = { name: row.name, secrets, keys };
  cache.set(name, { value, expires: Date.now() + TTL_MS });
  return value;
}

/** Rows written before secrets were encrypted: read as they are, then sealed in place. */
function openStored(env: KeyEnv, name: string, stored: string): Promise<string> {
  return isSealed(stored) ? openSecret(env, name, stored) : Promise.resolve(stored);
}

/** Seals a row's plain secrets in place; answers the row as now stored. */
async function sealStored(env: KeyEnv, db: Queryable, row: Row): Promise<Row> {
  const secret = await sealSecret(env, row.name, row.secret);
  await db.query("UPDATE sources SET secret = $2 WHERE name = $1 AND secret = $3", [
    row.name,
    secret,
    row.secret,
  ]);
  let previous = row.previous_secret;
  if (previous && !isSealed(previous)) {
    previous = await sealSecret(env, row.name, previous);
    await db.query("UPDATE sources SET previous_secret = $2 WHERE name = $1 AND previous_secret = $3", [
      row.name,
      previous,
      row.previous_secret,
    ]);
  }
  return { ...row, secret, previous_secret: previous };
}

/** A secret's key: the hex SHA-256 of its stored form (the trigger computes the same in SQL). */
export async function secretKey(stored: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(stored));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function rememberUnknown(name: string): void {
  if (unknown.size >= MAX_UNKNOWN) {
    const now = Date.now();
    for (const [key, until] of unknown) if (until <= now) unknown.delete(key);
    if (unknown.size >= MAX_UNKNOWN) unknown.clear();
  }
  unknown.set(name, Date.now() + UNKNOWN_TTL_MS);
}

export async function findSource(
  env: SourceEnv,
  name: string,
  options: { fresh?: boolean } = {},
): Promise<{ source: SourceSecrets | undefined; cached: boolean }> {
  const hit = cache.get(name);
  if (!options.fresh) {
    if (hit && hit.expires > Date.now()) return { source: hit.value, cached: true };
    if ((unknown.get(name) ?? 0) > Date.now()) return { source: undefined, cached: true };
  }
  try {
    return { source: await load(env, name), cached: false };
  } catch (error) {
    // The database unreachable: the secrets last read still verify (the queue takes the events).
    if (hit) return { source: hit.value, cached: true };
    throw error;
  }
}

/** Drops a source from this isolate's caches (after it was created, rotated or deleted here). */
export function forgetSource(name: string): void {
  cache.delete(name);
  unknown.delete(name);
}

let placeholder: string[] | undefined;

/** A secret for names that are not sources: random per isolate, so nothing ever verifies with it. */
export function unknownSourceSecrets(): string[] {
  placeholder ??= [newWebhookSecret()];
  return placeholder;
}

interface Queryable {
  query(text: string, params?: unknown[]): Promise<unknown>;
}

/** Clears previous secrets whose grace period has ended (one source, or all). */
export async function clearExpiredSecrets(db: Queryable, name?: string): Promise<void> {
  await db.query(
    `UPDATE sources SET previous_secret = NULL, previous_secret_expires_at = NULL
      WHERE previous_secret IS NOT NULL AND NOT (previous_secret_expires_at > now())
        ${name === undefined ? "" : "AND name = $1"}`,
    name === undefined ? [] : [name],
  );
}
