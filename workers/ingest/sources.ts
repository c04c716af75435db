/**
 * Source systems and their webhook secrets, read from Postgres and cached per isolate for a short
 * time so the webhook path rarely touches the database. A failed verification against a cached
 * entry re-reads the source once, so a rotated secret works at once.
 */
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-serverless";
import { sources } from "../../drizzle/schema.ts";
import { type DbEnv, withDb } from "../db/client.ts";

export interface SourceSecrets {
  name: string;
  secrets: string[];
}

const TTL_MS = 30_000;
const cache = new Map<string, { value: SourceSecrets; expires: number }>();

async function load(env: DbEnv, name: string): Promise<SourceSecrets | undefined> {
  const row = await withDb(env, async (pool) => {
    const [found] = await drizzle(pool).select().from(sources).where(eq(sources.name, name)).limit(1);
    return found;
  });
  if (!row) {
    cache.delete(name);
    return undefined;
  }
  const secrets = [row.secret];
  if (
    row.previousSecret &&
    row.previousSecretExpiresAt &&
    row.previousSecretExpiresAt.getTime() > Date.now()
  ) {
    secrets.push(row.previousSecret);
  }
  const value = { name: row.name, secrets };
  cache.set(name, { value, expires: Date.now() + TTL_MS });
  return value;
}

export async function findSource(
  env: DbEnv,
  name: string,
  options: { fresh?: boolean } = {},
): Promise<{ source: SourceSecrets | undefined; cached: boolean }> {
  const hit = cache.get(name);
  if (!options.fresh && hit && hit.expires > Date.now()) return { source: hit.value, cached: true };
  try {
    return { source: await load(env, name), cached: false };
  } catch (error) {
    // The database unreachable: the secrets last read still verify (the queue takes the events).
    if (hit) return { source: hit.value, cached: true };
    throw error;
  }
}

/** Drops a source from this isolate's cache (after it was created, rotated or deleted here). */
export function forgetSource(name: string): void {
  cache.delete(name);
}
