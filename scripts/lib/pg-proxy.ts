/**
 * A local WebSocket → TCP proxy speaking Neon's `wsproxy` convention
 * (`ws://host:port/v1?address=pghost:pgport`), so the Worker uses the same Neon driver against a
 * local Postgres as it does against Neon in production.
 *
 * The TCP side is ended when the client sends the Postgres Terminate message: PGlite's socket
 * server does not close a connection on its own, and a proxy that waited for the WebSocket to close
 * would leak one backend slot per Worker invocation.
 *
 * With `pool: true` (a Postgres server, not PGlite) a Terminate does not end the backend: the proxy
 * rolls back whatever was left open, runs `DISCARD ALL` and keeps the backend for the next client
 * with the same startup message, to which it replays the backend's greeting. A Worker opens a
 * connection per invocation, and a fresh backend reads every table's catalog entry on first touch
 * (2–4 ms each; a queue batch touches ~25): a warm one does not. That is what Neon's pooled
 * endpoint (PgBouncer) and Hyperdrive give in production. PGlite serves every connection from one
 * backend, so `DISCARD ALL` there would reset the others' sessions: it is never pooled.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { connect, type Socket } from "node:net";
import { WebSocketServer } from "ws";

export interface PgProxy {
  /** `host:port` of the proxy, the value for the Worker's `PG_WS_PROXY`. */
  address: string;
  close(): Promise<void>;
}

/** Tracks frontend message boundaries so a Terminate ('X') can be recognised exactly. */
export class FrontendFramer {
  private buffered = Buffer.alloc(0);
  private startupDone = false;
  /** The startup message's bytes, once complete (what a pooled backend is matched by). */
  startup: Buffer | undefined;
  /**
   * Where the Terminate starts in the chunk that completed it: the bytes before it are the
   * client's last; a negative value means it began in an earlier chunk (already forwarded).
   */
  terminateAt = -1;

  /** Feeds bytes from the client; returns true once a Terminate message has been seen. */
  push(chunk: Buffer): boolean {
    const carried = this.buffered.length;
    this.buffered = Buffer.concat([this.buffered, chunk]);
    const total = this.buffered.length;
    for (;;) {
      if (!this.startupDone) {
        // Startup, SSLRequest and GSSENCRequest have no type byte: int32 length, int32 code.
        if (this.buffered.length < 8) return false;
        const length = this.buffered.readInt32BE(0);
        if (this.buffered.length < length) return false;
        const code = this.buffered.readInt32BE(4);
        const isNegotiation = code === 80877103 || code === 80877104;
        if (!isNegotiation) this.startup = Buffer.from(this.buffered.subarray(0, length));
        this.buffered = this.buffered.subarray(length);
        if (!isNegotiation) this.startupDone = true;
        continue;
      }
      if (this.buffered.length < 5) return false;
      const type = this.buffered[0];
      const length = this.buffered.readInt32BE(1);
      if (this.buffered.length < 1 + length) return false;
      if (type === 0x58) {
        this.terminateAt = total - this.buffered.length - carried;
        this.buffered = this.buffered.subarray(1 + length);
        return true;
      }
      this.buffered = this.buffered.subarray(1 + length);
    }
  }
}

export interface PgProxyOptions {
  port?: number;
  host?: string;
  /** Keep backends warm between clients (a Postgres server only; never PGlite). */
  pool?: boolean;
}

/** A parked backend is ended after this long unused, so nothing holds a database for long. */
const IDLE_MS = 10_000;
/** Parked backends per startup message. */
const MAX_IDLE = 8;

interface Backend {
  socket: Socket;
  /** What the backend answered the startup message with, up to its first ReadyForQuery. */
  greeting: Buffer;
  idleTimer?: ReturnType<typeof setTimeout>;
}

export async function startPgProxy(options: PgProxyOptions = {}): Promise<PgProxy> {
  const host = options.host ?? "127.0.0.1";
  const server: Server = createServer((_req, res) => {
    res.writeHead(426).end("WebSocket only");
  });
  const wss = new WebSocketServer({ server, path: "/v1" });
  const idle = new Map<string, Backend[]>();
  const parked = new Set<Socket>();

  const unpark = (key: string, backend: Backend) => {
    clearTimeout(backend.idleTimer);
    parked.delete(backend.socket);
    const list = idle.get(key) ?? [];
    const at = list.indexOf(backend);
    if (at >= 0) list.splice(at, 1);
  };

  /** Resets a backend the client has finished with and parks it; a backend in doubt is ended. */
  const park = (key: string, backend: Backend) => {
    const { socket } = backend;
    socket.removeAllListeners("data");
    socket.removeAllListeners("close");
    socket.removeAllListeners("error");
    socket.on("error", () => socket.destroy());
    socket.on("close", () => unpark(key, backend));
    const framer = new BackendFramer();
    const fail = () => socket.destroy();
    const timer = setTimeout(fail, 2_000);
    let discarded = false;
    socket.on("data", (data: Buffer) => {
      for (const message of framer.push(data)) {
        if (message.type === 0x45) discarded = false; // ErrorResponse: not reset
        if (message.type === 0x43) discarded = message.body.toString("latin1").startsWith("DISCARD ALL");
        if (message.type === 0x5a && discarded) {
          clearTimeout(timer);
          socket.removeAllListeners("data");
          const list = idle.get(key) ?? [];
          if (list.length >= MAX_IDLE) return socket.end(TERMINATE);
          backend.idleTimer = setTimeout(() => {
            unpark(key, backend);
            socket.end(TERMINATE);
          }, IDLE_MS);
          list.push(backend);
          idle.set(key, list);
          parked.add(socket);
        }
      }
    });
    // A client that ended mid-transaction leaves it open: roll it back, then reset the session.
    socket.write(Buffer.concat([simpleQuery("ROLLBACK"), simpleQuery("DISCARD ALL")]));
  };

  wss.on("connection", (ws, req) => {
    const target = new URL(req.url ?? "", "http://proxy").searchParams.get("address") ?? "";
    const [pgHost, pgPort] = splitHostPort(target);
    if (!pgHost || !pgPort) {
      ws.close(1008, "address=host:port is required");
      return;
    }
    const framer = new FrontendFramer();
    const pending: Buffer[] = [];
    let backend: Backend | undefined;
    let key = "";
    let poolable = options.pool === true;
    let greeted = false;
    let terminated = false;

    const attach = (b: Backend, reused: boolean) => {
      const { socket } = b;
      if (ws.readyState !== ws.OPEN) {
        socket.destroy();
        return;
      }
      backend = b;
      socket.removeAllListeners("close");
      socket.removeAllListeners("error");
      const greeting = new BackendFramer();
      const captured: Buffer[] = [];
      socket.on("data", (data: Buffer) => {
        if (ws.readyState === ws.OPEN) ws.send(data);
        if (greeted || reused) return;
        captured.push(data);
        for (const message of greeting.push(data)) {
          // Only a backend that asked for no password may be handed to another client unasked.
          if (message.type === 0x52 && message.body.readInt32BE(0) !== 0) poolable = false;
          if (message.type === 0x5a) {
            greeted = true;
            b.greeting = Buffer.concat(captured);
          }
        }
      });
      socket.on("close", () => {
        if (!terminated) ws.close();
      });
      socket.on("error", () => {
        if (!terminated) ws.close(1011, "upstream error");
      });
      if (reused) {
        greeted = true;
        ws.send(b.greeting);
      }
      for (const chunk of pending) socket.write(chunk);
      pending.length = 0;
    };

    const open = (first: Buffer) => {
      key = `${target}|${framer.startup?.toString("hex") ?? ""}`;
      const reuse = poolable ? idle.get(key)?.pop() : undefined;
      if (reuse) {
        unpark(key, reuse);
        // The startup message itself is answered by the greeting; only what followed is sent.
        const rest = first.subarray(framer.startup?.length ?? 0);
        if (rest.length > 0) pending.push(rest);
        attach(reuse, true);
        return;
      }
      const socket = connect({ host: pgHost, port: pgPort, noDelay: true });
      pending.push(first);
      socket.on("connect", () => attach({ socket, greeting: Buffer.alloc(0) }, false));
      socket.on("error", () => {
        if (!backend) ws.close(1011, "upstream error");
      });
    };

    let startupBytes: Buffer[] = [];
    ws.on("message", (data: Buffer) => {
      const chunk = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
      const hadStartup = framer.startup !== undefined;
      const sawTerminate = framer.push(chunk);
      if (!hadStartup) {
        startupBytes.push(chunk);
        if (framer.startup === undefined) return;
        // An SSL or GSS negotiation went first: not a plain session, pass it through unpooled.
        const all = Buffer.concat(startupBytes);
        startupBytes = [];
        if (all.length !== framer.startup.length) poolable = false;
        open(all);
        return;
      }
      if (sawTerminate) {
        terminated = true;
        const before = chunk.subarray(0, Math.max(0, framer.terminateAt));
        if (backend && before.length > 0) backend.socket.write(before);
        else if (before.length > 0) pending.push(before);
        ws.close();
        if (backend && poolable && greeted && framer.terminateAt >= 0) park(key, backend);
        else if (backend) backend.socket.end(TERMINATE);
        return;
      }
      if (backend) backend.socket.write(chunk);
      else pending.push(chunk);
    });
    ws.on("close", () => {
      if (!terminated) backend?.socket.destroy();
    });
    ws.on("error", () => backend?.socket.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    address: `${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        for (const socket of parked) socket.end(TERMINATE);
        for (const list of idle.values()) for (const b of list) clearTimeout(b.idleTimer);
        idle.clear();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const TERMINATE = Buffer.from([0x58, 0, 0, 0, 4]);

function simpleQuery(sql: string): Buffer {
  const text = Buffer.from(`${sql}\0`, "utf8");
  const header = Buffer.alloc(5);
  header[0] = 0x51;
  header.writeInt32BE(4 + text.length, 1);
  return Buffer.concat([header, text]);
}

/** Splits the backend's byte stream into messages (type byte, int32 length, body). */
class BackendFramer {
  private buffered = Buffer.alloc(0);

  push(chunk: Buffer): { type: number; body: Buffer }[] {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    const messages: { type: number; body: Buffer }[] = [];
    while (this.buffered.length >= 5) {
      const length = this.buffered.readInt32BE(1);
      if (this.buffered.length < 1 + length) break;
      messages.push({ type: this.buffered[0]!, body: this.buffered.subarray(5, 1 + length) });
      this.buffered = this.buffered.subarray(1 + length);
    }
    return messages;
  }
}

function splitHostPort(value: string): [string, number] {
  const at = value.lastIndexOf(":");
  if (at <= 0) return ["", 0];
  return [value.slice(0, at).replace(/^\[|\]$/g, ""), Number(value.slice(at + 1))];
}
