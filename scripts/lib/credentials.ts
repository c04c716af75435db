/**
 * Local credentials for `npm start`: generated on the first start into `.data/credentials.json`
 * (git-ignored, readable only by the owner) and reused afterwards, so the dashboard login, curl
 * commands and the demo source keep working across restarts.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { z } from "zod";
import { isSealed, openSecret, sealSecret } from "../../workers/ingest/secret-box.ts";
import { newWebhookSecret } from "../../workers/ingest/signature.ts";

// Loose: keys a newer version wrote are kept when the file is written back.
const credentialsFile = z.looseObject({
  baseUrl: z.string(),
  /** Source name → Standard Webhooks secret (`whsec_…`). */
  sources: z.record(z.string(), z.string()),
  viewerToken: z.string().min(1),
  adminToken: z.string().min(1),
  /** The Worker's SECRET_KEY (32 random bytes, base64): signs sessions, encrypts source secrets. */
  secretKey: z.string().default(""),
});

export type Credentials = z.output<typeof credentialsFile>;

export const DEMO_SOURCE = "demo";

/** A SECRET_KEY: 32 random bytes, base64. */
export function newSecretKey(): string {
  return randomBytes(32).toString("base64");
}

/** 32 random bytes, base64url. */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/** `$PULSE_CREDENTIALS`, else `$PULSE_DATA_DIR/credentials.json`, else `.data/credentials.json`. */
export function defaultCredentialsPath(): string {
  const dataDir = process.env.PULSE_DATA_DIR || fileURLToPath(new URL("../../.data", import.meta.url));
  return process.env.PULSE_CREDENTIALS ?? join(dataDir, "credentials.json");
}

/** The credentials `npm start` wrote (see `defaultCredentialsPath`). */
export function defaultCredentials(): Credentials {
  return readCredentials(defaultCredentialsPath());
}

export function readCredentials(path: string): Credentials {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(
      `Cannot read ${path} (${error instanceof Error ? error.message : String(error)}); run \`npm start\` once to create it.`,
    );
  }
  const credentials = credentialsFile.safeParse(parsed);
  if (!credentials.success) {
    const issues = credentials.error.issues.map((i) => `${i.path.join(".") || "(file)"}: ${i.message}`);
    throw new Error(`${path} is not a credentials file (${issues.join("; ")}); delete it to regenerate.`);
  }
  return credentials.data;
}

/**
 * Reads the credentials at `path`, creating them (and the demo source secret) when missing.
 * `baseUrl` is updated when the port changed; anything else already there is kept.
 */
export function loadOrCreateCredentials(
  path: string,
  baseUrl: string,
): { credentials: Credentials; created: boolean } {
  const created = !existsSync(path);
  const credentials: Credentials = created
    ? { baseUrl, sources: {}, viewerToken: newToken(), adminToken: newToken(), secretKey: newSecretKey() }
    : readCredentials(path);
  let changed = created;
  if (!credentials.secretKey) {
    credentials.secretKey = newSecretKey();
    changed = true;
  }
  if (credentials.baseUrl !== baseUrl) {
    credentials.baseUrl = baseUrl;
    changed = true;
  }
  if (!credentials.sources[DEMO_SOURCE]) {
    credentials.sources[DEMO_SOURCE] = newWebhookSecret();
    changed = true;
  }
  if (changed) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
    chmodSync(path, 0o600);
  }
  return { credentials, created };
}

/**
 * Creates or updates the `sources` rows so the Worker accepts these secrets, encrypted with the
 * Worker's `secretKey` as it stores them. A row that already holds the same secret is left alone.
 */
export async function upsertSources(
  databaseUrl: string,
  sources: Record<string, string>,
  secretKey: string,
): Promise<void> {
  const env = { SECRET_KEY: secretKey };
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (const [name, secret] of Object.entries(sources)) {
      const stored = (
        await client.query<{ secret: string }>("SELECT secret FROM sources WHERE name = $1", [name])
      ).rows[0]?.secret;
      const current =
        stored && isSealed(stored) ? await openSecret(env, name, stored).catch(() => undefined) : stored;
      if (current === secret && stored && isSealed(stored)) continue;
      await client.query(
        `INSERT INTO sources (name, secret) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET secret = excluded.secret,
           previous_secret = NULL, previous_secret_expires_at = NULL`,
        [name, await sealSecret(env, name, secret)],
      );
    }
  } finally {
    await client.end();
  }
}
