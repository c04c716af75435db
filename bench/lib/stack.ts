/**
 * A local stack for benchmarks: Postgres (BENCH_DATABASE_URL, else an in-memory PGlite), the
 * migrations, the wsproxy and `wrangler dev` — the same parts `npm start` runs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "../../scripts/lib/embedded-postgres.ts";
import { runMigrations } from "../../scripts/lib/migrate.ts";
import { startPgProxy } from "../../scripts/lib/pg-proxy.ts";
import { freePort } from "../../scripts/lib/processes.ts";
import { startWranglerDev } from "../../scripts/lib/wrangler-dev.ts";
import { sealSecret } from "../../workers/ingest/secret-box.ts";
import { newWebhookSecret, signedHeaders } from "../../workers/ingest/signature.ts";

/** The bench Worker's SECRET_KEY (32 fixed bytes, base64; benches only). */
export const BENCH_SECRET_KEY = btoa("pulse-bench-secret-key-32-bytes!");
/** The bench's access tokens (the Worker refuses tokens under 16 characters). */
export const BENCH_VIEWER_TOKEN = "bench-viewer-token";
export const BENCH_ADMIN_TOKEN = "bench-admin-token";

export interface BenchStack {
  baseUrl: string;
  databaseKind: string;
  viewerToken: string;
  adminToken: string;
  /** Process group of `wrangler dev` (wrangler and its workerd processes), for CPU accounting. */
  workerGroup: number;
  source: { name: string; secret: string };
  /** A signed webhook request with `body`, to the stack's address or to `base` (the runtime's own). */
  post(body: string, base?: string): Promise<Response>;
  db: pg.Pool;
  close(): Promise<void>;
}

/**
 * `database`: "pglite" forces the embedded database; otherwise BENCH_DATABASE_URL, else the
 * machine's server when one answers, else PGlite. `template`: on a server, the bench's database
 * is a copy of that database (its name, already checked).
 */
export async function startBenchStack(
  options: { vars?: Record<string, string>; database?: "pglite" | "server"; template?: string } = {},
): Promise<BenchStack> {
  const state = mkdtempSync(join(tmpdir(), "pulse-bench-"));
  let databaseUrl =
    options.database === "pglite" ? "" : (process.env.BENCH_DATABASE_URL ?? (await localServer()) ?? "");
  const embedded = databaseUrl ? undefined : await startEmbeddedPostgres();
  let dropDatabase: (() => Promise<void>) | undefined;
  if (embedded) {
    databaseUrl = embedded.url;
  } else {
    // A throwaway database on the given server, so a bench never touches real data.
    const name = `pulse_bench_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    // A file copy of a kept database (`template`, see kpi-template.ts) takes seconds, not minutes.
    await admin.query(
      options.template
        ? `CREATE DATABASE ${name} TEMPLATE ${options.template} STRATEGY FILE_COPY`
        : `CREATE DATABASE ${name}`,
    );
    await admin.end();
    const server = databaseUrl;
    const url = new URL(databaseUrl);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    dropDatabase = async () => {
      const c = new pg.Client({ connectionString: server });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  }
  const viewerToken = BENCH_VIEWER_TOKEN;
  let proxy: Awaited<ReturnType<typeof startPgProxy>> | undefined;
  let worker: Awaited<ReturnType<typeof startWranglerDev>>;
  try {
    await runMigrations(databaseUrl);
    proxy = await startPgProxy({ pool: !embedded });
    worker = await startWranglerDev({
      port: await freePort(),
      persistTo: join(state, "wrangler"),
      databaseUrl,
      pgProxy: proxy.address,
      viewerToken,
      adminToken: BENCH_ADMIN_TOKEN,
      secretKey: BENCH_SECRET_KEY,
      ...(options.vars ? { vars: options.vars } : {}),
      // BENCH_VERBOSE=1 shows wrangler's output (quiet by default: it would interleave with results).
      ...(process.env.BENCH_VERBOSE ? { onLine: (line: string) => console.error(`[wrangler] ${line}`) } : {}),
    });
  } catch (error) {
    // Leave nothing behind when the stack does not come up (no throwaway database, no proxy).
    await proxy?.close();
    await embedded?.close();
    await dropDatabase?.();
    rmSync(state, { recursive: true, force: true });
    throw error;
  }
  const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const source = { name: "bench", secret: newWebhookSecret() };
  const sealed = await sealSecret({ SECRET_KEY: BENCH_SECRET_KEY }, source.name, source.secret);
  await db.query("INSERT INTO sources (name, secret) VALUES ($1, $2)", [source.name, sealed]);
  return {
    baseUrl: worker.baseUrl,
    databaseKind: embedded ? "pglite" : "postgres-server",
    viewerToken,
    adminToken: BENCH_ADMIN_TOKEN,
    workerGroup: worker.process.child.pid ?? 0,
    source,
    db,
    post: (body, base = worker.baseUrl) =>
      fetch(`${base}/api/v1/cdc/${source.name}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...signedHeaders(source.secret, body) },
        body,
        // A wedged stack fails the measurement in a minute, not in undici's five.
        signal: AbortSignal.timeout(60_000),
      }),
    async close() {
      await db.end();
      await worker.stop();
      await proxy?.close();
      await embedded?.close();
      await dropDatabase?.();
      rmSync(state, { recursive: true, force: true });
    },
  };
}

/** The machine's own Postgres server, when one answers on 127.0.0.1:5432 (benches want a real server). */
async function localServer(): Promise<string | undefined> {
  const url = "postgres://postgres@127.0.0.1:5432/postgres";
  // Generous: on a saturated machine a second was too short, and the bench then measured PGlite
  // in its own process instead of the server without a word.
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    return url;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}
