/**
 * A real HTTP receiver for alert deliveries (Node): tests and the bench point channels at it and
 * read back what arrived. `POST /hook/<key>?fail=N&status=S` answers S to the first N requests for
 * that key (always, with `fail=always`), then 200; `GET /requests/<key>` lists what arrived, in
 * order, with headers, raw body and arrival time.
 */
import { createServer, type Server } from "node:http";

export interface Received {
  key: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

export interface Receiver {
  url: string;
  received: Map<string, Received[]>;
  /** Called on each arrival (the bench timestamps with it). */
  onReceive?: (r: Received) => void;
  close(): Promise<void>;
}

export async function startReceiver(port = 0): Promise<Receiver> {
  const received = new Map<string, Received[]>();
  const receiver: Receiver = { url: "", received, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://receiver");
    const [, kind, key = ""] = url.pathname.split("/");
    if (req.method === "GET" && kind === "requests") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(received.get(key) ?? []));
      return;
    }
    if (req.method !== "POST" || kind !== "hook") {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const entry: Received = {
        key,
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
      };
      const list = received.get(key) ?? [];
      list.push(entry);
      received.set(key, list);
      receiver.onReceive?.(entry);
      const fail = url.searchParams.get("fail");
      const failing = fail === "always" || (fail !== null && list.length <= Number(fail));
      const status = failing ? Number(url.searchParams.get("status") ?? "503") : 200;
      res.writeHead(status, { "content-type": "text/plain" }).end(failing ? "failing on purpose" : "ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address();
  receiver.url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : port}`;
  receiver.close = () => new Promise((resolve) => server.close(() => resolve()));
  return receiver;
}
