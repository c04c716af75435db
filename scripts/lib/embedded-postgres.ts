/**
 * Embedded Postgres for a machine with nothing but Node: PGlite, persisted in a folder, served over
 * the Postgres wire protocol by pglite-socket so the Worker (through the proxy), the migrator and
 * tests all talk to it like to any server.
 *
 * PGlite runs one backend: every connection shares it, so transactions must stay short.
 */
import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

export interface EmbeddedPostgres {
  url: string;
  close(): Promise<void>;
}

/** Starts PGlite on `dataDir` (in memory when undefined) and serves it on 127.0.0.1. */
export async function startEmbeddedPostgres(
  options: { dataDir?: string; port?: number } = {},
): Promise<EmbeddedPostgres> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const db = await PGlite.create(options.dataDir ?? "memory://");
  // The default of one connection drops further clients instead of queueing them.
  const server = new PGLiteSocketServer({
    db,
    host: "127.0.0.1",
    port: options.port ?? 0,
    maxConnections: 32,
  });
  await server.start();
  return {
    url: `postgres://postgres:postgres@${server.getServerConn()}/postgres`,
    async close() {
      await server.stop();
      await db.close();
    },
  };
}
