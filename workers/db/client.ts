/**
 * Postgres from the Worker: the Neon serverless driver (a Client over WebSocket) in production and,
 * locally, the same driver through the local wsproxy (`PG_WS_PROXY`). The switch is configuration,
 * not a second code path.
 *
 * A connection cannot outlive the invocation on Workers, so each unit of work opens one and ends it.
 */
import { Client, neonConfig } from "@neondatabase/serverless";
import { databaseUrlOf } from "../secrets.ts";

export interface DbEnv {
  DATABASE_URL: string;
  PG_WS_PROXY?: string;
}

/** The proxy the driver was last configured for (`null`: none), so it is configured once per isolate. */
let configuredFor: string | null | undefined;

function configure(env: DbEnv): void {
  const target = env.PG_WS_PROXY || null;
  if (configuredFor === target) return;
  configuredFor = target;
  if (env.PG_WS_PROXY) {
    const proxy = env.PG_WS_PROXY;
    neonConfig.wsProxy = (host, port) => `${proxy}/v1?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineTLS = false;
    neonConfig.pipelineConnect = false;
  }
  // Sending each message as soon as it is written halves per-query latency on small queries.
  neonConfig.coalesceWrites = false;
}

export type Db = Client;

/** Runs `work` on a fresh connection and always closes it afterwards. */
export async function withDb<T>(env: DbEnv, work: (db: Db) => Promise<T>): Promise<T> {
  configure(env);
  const client = new Client({ connectionString: databaseUrlOf(env) });
  let ending = false;
  // The socket closing while the connection is being ended is expected; without a listener the
  // client would re-throw it as an uncaught error. Anything earlier also fails the query in flight.
  client.on("error", (error) => {
    if (!ending) console.warn(JSON.stringify({ msg: "database connection lost", error: String(error) }));
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    ending = true;
    await client.end().catch(() => undefined);
  }
}

/** Runs `work` inside one transaction on `db`. */
export async function transaction<T>(db: Db, work: (tx: Db) => Promise<T>): Promise<T> {
  await db.query("BEGIN");
  try {
    const result = await work(db);
    await db.query("COMMIT");
    return result;
  } catch (error) {
    await db.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}
