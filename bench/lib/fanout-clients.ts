/**
 * A child process holding N dashboard sockets, so fan-out is measured from outside both the
 * bench's own process and `wrangler dev`. Controlled over IPC:
 *
 *   parent → { type: "connect", url, count }      child → { type: "ready", connected, failed, ms }
 *   parent → { type: "report" }                   child → { type: "report", updates: Update[] }
 *   parent → { type: "close" }                    child exits
 *
 * For every delta it records, per socket, arrival time − the room's `as_of` (the moment the room
 * started that broadcast; same machine, same clock).
 */
import WebSocket from "ws";

interface Update {
  seq: number;
  received: number;
  /** Milliseconds from the room's broadcast to each socket's receipt, ascending. */
  latencies: number[];
}

const sockets: WebSocket[] = [];
const arrivals = new Map<number, number[]>();

function now(): number {
  return performance.timeOrigin + performance.now();
}

function open(url: string, key: string): Promise<boolean> {
  return new Promise((resolve) => {
    // A client key per socket spreads them over the shard rooms, as browser tabs would be.
    const ws = new WebSocket(`${url}&client=${key}`);
    let subscribed = false;
    const timeout = setTimeout(() => {
      ws.terminate();
      resolve(false);
    }, 15_000);
    ws.once("open", () => ws.send(JSON.stringify({ type: "subscribe", minutes: 60, days: 1 })));
    ws.on("error", () => resolve(false));
    ws.on("message", (data) => {
      const at = now();
      // Light parsing on purpose: this process shares the two cores with the server it measures.
      const frame = JSON.parse(String(data)) as { type?: unknown; seq?: unknown; as_of?: unknown };
      if (frame.type === "snapshot" && !subscribed) {
        subscribed = true;
        clearTimeout(timeout);
        sockets.push(ws);
        resolve(true);
      } else if (frame.type === "delta" && typeof frame.seq === "number" && typeof frame.as_of === "string") {
        const list = arrivals.get(frame.seq) ?? [];
        list.push(at - Date.parse(frame.as_of));
        arrivals.set(frame.seq, list);
      }
    });
  });
}

async function connect(url: string, count: number): Promise<void> {
  const t0 = performance.now();
  let connected = 0;
  let failed = 0;
  const parallel = 100;
  for (let i = 0; i < count; i += parallel) {
    const results = await Promise.all(
      Array.from({ length: Math.min(parallel, count - i) }, (_, j) => open(url, `fanout-${i + j}`)),
    );
    for (const ok of results) ok ? connected++ : failed++;
  }
  process.send?.({ type: "ready", connected, failed, ms: performance.now() - t0 });
}

process.on("message", (message: { type: string; url?: string; count?: number }) => {
  if (message.type === "connect") void connect(message.url!, message.count!);
  else if (message.type === "report") {
    const updates: Update[] = [...arrivals].map(([seq, list]) => ({
      seq,
      received: list.length,
      latencies: [...list].sort((a, b) => a - b),
    }));
    arrivals.clear();
    process.send?.({ type: "report", updates });
  } else if (message.type === "close") {
    for (const ws of sockets) ws.terminate();
    process.exit(0);
  }
});
