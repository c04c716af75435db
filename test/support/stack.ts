/**
 * The whole Worker (HTTP, queue consumer, Durable Object, static assets) run by `wrangler dev`, the
 * way `npm start` runs it, against the test run's Postgres through the wsproxy. Black-box tests
 * talk to it over real sockets, like a source system or a browser would.
 *
 * (wrangler's in-process test harness cannot open the outbound WebSocket the Neon driver needs,
 * so a real `wrangler dev` it is — one per test file.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inject } from "vitest";
import { freePort } from "../../scripts/lib/processes.ts";
import { startWranglerDev } from "../../scripts/lib/wrangler-dev.ts";
import { sealSecret } from "../../workers/ingest/secret-box.ts";
import { newWebhookSecret, signedHeaders } from "../../workers/ingest/signature.ts";
import { TEST_ADMIN_TOKEN, TEST_SECRET_KEY, TEST_VIEWER_TOKEN } from "./tokens.ts";

const require = createRequire(import.meta.url);
const pg = require("pg") as typeof import("pg");

export interface Stack {
  url: URL;
  source: { name: string; secret: string };
  viewerToken: string;
  post(body: string, headers?: Record<string, string>): Promise<Response>;
  query<T>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export interface StackOptions {
  /** The Worker's database (default: the test run's); the test's own queries use the run's. */
  workerDatabaseUrl?: string;
  /** Overrides of wrangler.toml's `[vars]`. */
  vars?: Record<string, string>;
  /** Echo the Worker's error lines (default); a fault test expects many. */
  echoErrors?: boolean;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const databaseUrl = inject("databaseUrl");
  const state = mkdtempSync(join(tmpdir(), "pulse-stack-"));
  const logs: string[] = [];
  const worker = await startWranglerDev({
    port: await freePort(),
    persistTo: join(state, "wrangler"),
    databaseUrl: options.workerDatabaseUrl ?? databaseUrl,
    ...(options.vars ? { vars: options.vars } : {}),
    pgProxy: inject("pgProxy"),
    viewerToken: TEST_VIEWER_TOKEN,
    adminToken: TEST_ADMIN_TOKEN,
    secretKey: TEST_SECRET_KEY,
    onLine: (line) => {
      logs.push(line);
      if (options.echoErrors !== false && /error/i.test(line)) console.error(`[wrangler] ${line}`);
    },
  });
  const url = new URL(worker.baseUrl);
  const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const source = { name: `e2e-${crypto.randomUUID().slice(0, 8)}`, secret: newWebhookSecret() };
  const sealed = await sealSecret({ SECRET_KEY: TEST_SECRET_KEY }, source.name, source.secret);
  await db.query("INSERT INTO sources (name, secret) VALUES ($1, $2)", [source.name, sealed]);
  return {
    url,
    source,
    viewerToken: TEST_VIEWER_TOKEN,
    post: (body, headers) =>
      fetch(new URL(`/api/v1/cdc/${source.name}`, url), {
        method: "POST",
        headers: { "content-type": "application/json", ...signedHeaders(source.secret, body), ...headers },
        body,
      }),
    query: async <T>(text: string, params: unknown[] = []) => (await db.query(text, params)).rows as T[],
    async close() {
      await db.end();
      await worker.stop();
      rmSync(state, { recursive: true, force: true });
    },
  };
}
