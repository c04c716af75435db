/**
 * Postgres from the Worker: the Neon serverless driver (Pool over WebSocket) in production and,
 * locally, the same driver through the local wsproxy (`PG_WS_PROXY`). The switch is configuration,
 * not a second code path.
 *
 * A Pool cannot outlive the invocation on Workers, so each unit of work opens one and ends it.
 */
import { neonConfig, Pool, type PoolClient } from "@neondatabase/serverless";

export interface DbEnv {
  DATABASE_URL: string;
  PG_WS_PROXY?: string;
}

function configure(env: DbEnv): void {
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

export type Db = Pool;

/** Runs `work` with a fresh pool and always ends the pool afterwards. */
export async function withDb<T>(env: DbEnv, work: (db: Db) => Promise<T>): Promise<T> {
  configure(env);
  const pool = new Pool({ connectionString: env.DATABASE_URL, max: 2 });
  try {
    return await work(pool);
  } finally {
    await pool.end().catch(() => undefined);
  }
}

/** Runs `work` inside one transaction on a single connection of `db`. */
export async function transaction<T>(db: Db, work: (tx: PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
