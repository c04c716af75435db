/**
 * Global test setup: one real Postgres for the whole run, migrated, behind the Neon wsproxy.
 * - `TEST_DATABASE_URL` set (CI): a fresh database is created on that server for this run and
 *   dropped afterwards, so runs never see each other's data.
 * - unset (a bare machine): an in-memory PGlite served over the wire protocol.
 * Tests get the URLs with `inject("databaseUrl")` / `inject("pgProxy")`.
 */
import { createRequire } from "node:module";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../../scripts/lib/embedded-postgres.ts";
import { runMigrations } from "../../scripts/lib/migrate.ts";
import { startPgProxy } from "../../scripts/lib/pg-proxy.ts";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    pgProxy: string;
    databaseKind: "server" | "pglite";
  }
}

// In vitest's global setup `import "ws"` can resolve to its browser stub; pg is CommonJS anyway.
const require = createRequire(import.meta.url);
const pg = require("pg") as typeof import("pg");

async function createRunDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `pulse_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

export default async function setup(project: TestProject) {
  const serverUrl = process.env.TEST_DATABASE_URL;
  let databaseUrl: string;
  let teardownDb: () => Promise<void>;
  if (serverUrl) {
    const db = await createRunDatabase(serverUrl);
    databaseUrl = db.url;
    teardownDb = db.drop;
  } else {
    const db = await startEmbeddedPostgres();
    databaseUrl = db.url;
    teardownDb = db.close;
  }
  await runMigrations(databaseUrl);
  const proxy = await startPgProxy({ pool: serverUrl !== undefined });
  project.provide("databaseUrl", databaseUrl);
  project.provide("pgProxy", proxy.address);
  project.provide("databaseKind", serverUrl ? "server" : "pglite");
  process.env.PULSE_TEST_DATABASE_URL = databaseUrl;
  process.env.PULSE_TEST_PG_PROXY = proxy.address;

  return async () => {
    await proxy.close();
    await teardownDb();
  };
}
