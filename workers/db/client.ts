/**
 * Postgres from the Worker: the Neon serverless driver (a Client over WebSocket) in production and,
 * locally, the same driver through the local wsproxy (`PG_WS_PROXY`). The switch is configuration,
 * not a second code path.
 *
 * A connection cannot outlive the invocation on Workers, so each unit of work opens one and ends it.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { Client, neonConfig } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-serverless";
import { databaseUrlOf } from "../secrets.ts";
import { type Queryable, Statements } from "./statements.ts";

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

/** A connection, or a transaction's statements (`Statements`): what code that queries is given. */
export type Db = Queryable;

/**
 * Drizzle's query builder on `db`. In a transaction its queries pass through `Statements` as the
 * driver's query objects, each sent alone, in order with the others.
 */
export const orm = (db: Db) => drizzle(db as Client);

interface Connection {
  client: Client;
  end: () => Promise<void>;
}

async function connect(env: DbEnv): Promise<Connection> {
  configure(env);
  const client = new Client({ connectionString: databaseUrlOf(env) });
  let ending = false;
  // The socket closing while the connection is being ended is expected; without a listener the
  // client would re-throw it as an uncaught error. Anything earlier also fails the query in flight.
  client.on("error", (error) => {
    if (!ending) console.warn(JSON.stringify({ msg: "database connection lost", error: String(error) }));
  });
  await client.connect();
  return {
    client,
    end: async () => {
      ending = true;
      await client.end().catch(() => undefined);
    },
  };
}

/** The connection the `withDb` calls inside `withSharedDb` use (opened by the first of them). */
const sharedConnection = new AsyncLocalStorage<() => Promise<Connection>>();

/** Runs `work` on a fresh connection and always closes it afterwards (see `withSharedDb`). */
export async function withDb<T>(env: DbEnv, work: (db: Db) => Promise<T>): Promise<T> {
  const shared = sharedConnection.getStore();
  if (shared) return work((await shared()).client);
  const connection = await connect(env);
  try {
    return await work(connection.client);
  } finally {
    await connection.end();
  }
}

/**
 * Runs `work` with every `withDb` inside it on one connection, opened on first use and closed at
 * the end: several reads of one request (`GET /api/v1/batch`) pay for one connection set-up, not
 * one each (on the embedded default they would queue for its one backend anyway). Their queries
 * take turns on it, so only reads without transactions or session settings belong here.
 */
export async function withSharedDb<T>(env: DbEnv, work: () => Promise<T>): Promise<T> {
  let opened: Promise<Connection> | undefined;
  try {
    return await sharedConnection.run(() => (opened ??= connect(env)), work);
  } finally {
    if (opened) await (await opened.catch(() => undefined))?.end();
  }
}

/**
 * Runs `work` inside one transaction on `db`. Its statements go out together where they can (see
 * `Statements`): the `BEGIN` with the first of them, writes issued with `write` with the next
 * statement awaited or the `COMMIT`.
 */
export async function transaction<T>(db: Db, work: (tx: Db) => Promise<T>): Promise<T> {
  const tx = new Statements(db);
  tx.later("BEGIN");
  try {
    const result = await work(tx);
    await tx.query("COMMIT");
    return result;
  } catch (error) {
    tx.discard(error);
    await db.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}
