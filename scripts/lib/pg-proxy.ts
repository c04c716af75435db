/**
 * A local WebSocket → TCP proxy speaking Neon's `wsproxy` convention
 * (`ws://host:port/v1?address=pghost:pgport`), so the Worker uses the same Neon driver against a
 * local Postgres as it does against Neon in production.
 *
 * The TCP side is ended when the client sends the Postgres Terminate message: PGlite's socket
 * server does not close a connection on its own, and a proxy that waited for the WebSocket to close
 * would leak one backend slot per Worker invocation.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
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

  /** Feeds bytes from the client; returns true once a Terminate message has been seen. */
  push(chunk: Buffer): boolean {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    for (;;) {
      if (!this.startupDone) {
        // Startup, SSLRequest and GSSENCRequest have no type byte: int32 length, int32 code.
        if (this.buffered.length < 8) return false;
        const length = this.buffered.readInt32BE(0);
        if (this.buffered.length < length) return false;
        const code = this.buffered.readInt32BE(4);
        const isNegotiation = code === 80877103 || code === 80877104;
        this.buffered = this.buffered.subarray(length);
        if (!isNegotiation) this.startupDone = true;
        continue;
      }
      if (this.buffered.length < 5) return false;
      const type = this.buffered[0];
      const length = this.buffered.readInt32BE(1);
      if (this.buffered.length < 1 + length) return false;
      this.buffered = this.buffered.subarray(1 + length);
      if (type === 0x58) return true;
    }
  }
}

export async function startPgProxy(options: { port?: number; host?: string } = {}): Promise<PgProxy> {
  const host = options.host ?? "127.0.0.1";
  const server: Server = createServer((_req, res) => {
    res.writeHead(426).end("WebSocket only");
  });
  const wss = new WebSocketServer({ server, path: "/v1" });

  wss.on("connection", (ws, req) => {
    const target = new URL(req.url ?? "", "http://proxy").searchParams.get("address") ?? "";
    const [pgHost, pgPort] = splitHostPort(target);
    if (!pgHost || !pgPort) {
      ws.close(1008, "address=host:port is required");
      return;
    }
    const socket = connect({ host: pgHost, port: pgPort, noDelay: true });
    const framer = new FrontendFramer();
    const pending: Buffer[] = [];
    let connected = false;

    socket.on("connect", () => {
      connected = true;
      for (const chunk of pending) socket.write(chunk);
      pending.length = 0;
    });
    socket.on("data", (data) => {
      if (ws.readyState === ws.OPEN) ws.send(data);
    });
    socket.on("close", () => ws.close());
    socket.on("error", () => ws.close(1011, "upstream error"));

    ws.on("message", (data: Buffer) => {
      const chunk = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
      const terminated = framer.push(chunk);
      if (connected) socket.write(chunk);
      else pending.push(chunk);
      if (terminated) socket.end();
    });
    ws.on("close", () => socket.end());
    ws.on("error", () => socket.destroy());
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
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function splitHostPort(value: string): [string, number] {
  const at = value.lastIndexOf(":");
  if (at <= 0) return ["", 0];
  return [value.slice(0, at).replace(/^\[|\]$/g, ""), Number(value.slice(at + 1))];
}
