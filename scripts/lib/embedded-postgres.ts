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
  keepSequencesWhole(server);
  await server.start();
  return {
    url: `postgres://postgres:postgres@${server.getServerConn()}/postgres`,
    async close() {
      await server.stop();
      await db.close();
    },
  };
}

/** The parts of pglite-socket's (internal) query queue this module relies on. */
interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (error: unknown) => void;
}
interface QueryQueue {
  queue: QueuedMessage[];
  processing: boolean;
  lastHandlerId: number | null;
  db: PGlite;
  processQueue(): Promise<void>;
  clearQueueForHandler(handlerId: number): void;
}

/** Message types that end a client's turn: Sync, a simple Query, Terminate. */
const TURN_ENDS = new Set(["S", "Q", "X"]);

/**
 * pglite-socket serves queued protocol messages one at a time, from any connection, and only keeps
 * to one connection while it is inside a transaction. Outside one, two connections' extended-query
 * sequences (Parse, Bind, Execute … Sync) interleave on the single backend, and one binds the
 * other's unnamed statement ("bind message supplies 1 parameters, but prepared statement requires
 * 2"). This replaces the queue's loop with one that also keeps a connection's turn until its
 * sequence ends, as a real server's separate backends would.
 */
function keepSequencesWhole(server: PGLiteSocketServer): void {
  const queue = (server as unknown as { queryQueue: QueryQueue }).queryQueue;
  let midSequence = false;
  const clear = queue.clearQueueForHandler.bind(queue);
  queue.clearQueueForHandler = (handlerId) => {
    if (queue.lastHandlerId === handlerId) midSequence = false;
    clear(handlerId);
  };
  queue.processQueue = async function processQueue(this: QueryQueue) {
    if (this.processing || this.queue.length === 0) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        let item: QueuedMessage | undefined;
        if (this.lastHandlerId !== null && (midSequence || this.db.isInTransaction())) {
          const index = this.queue.findIndex((q) => q.handlerId === this.lastHandlerId);
          // The connection whose turn it is has sent nothing yet: wait for it (its enqueue restarts us).
          if (index === -1) break;
          item = this.queue.splice(index, 1)[0];
        } else {
          item = this.queue.shift();
        }
        if (!item) break;
        const current = item;
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(current.message, {
              onRawData: (data: Uint8Array) => {
                bytes += data.length;
                current.onData(data);
              },
            }),
          );
        } catch (error) {
          midSequence = false;
          current.reject(error);
          continue;
        }
        // A startup packet begins with its length (first byte 0): it is a turn of its own.
        const type = current.message[0] ?? 0;
        midSequence = type !== 0 && !TURN_ENDS.has(String.fromCharCode(type));
        this.lastHandlerId = current.handlerId;
        current.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  };
}
