/**
 * A dashboard connection for benchmarks, in Node: opens `/api/v1/live`, subscribes, and calls
 * `onFrame` with each parsed frame and the time (performance clock) it arrived.
 */
import WebSocket from "ws";
import { type ClientMessage, type ServerMessage, serverMessage } from "../../workers/live/protocol.ts";

export type Frame = ServerMessage;

export function liveSocketUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/^http/, "ws")}/api/v1/live?token=${encodeURIComponent(token)}`;
}

export interface LiveClient {
  ws: WebSocket;
  /** Resolves with the subscription's snapshot. */
  ready: Promise<Extract<Frame, { type: "snapshot" }>>;
  close(): void;
}

export function openLiveClient(
  url: string,
  onFrame: (frame: Frame, at: number) => void,
  subscribe: Omit<Extract<ClientMessage, { type: "subscribe" }>, "type"> = {},
): LiveClient {
  const ws = new WebSocket(url);
  let resolveReady!: (snapshot: Extract<Frame, { type: "snapshot" }>) => void;
  let rejectReady!: (error: Error) => void;
  const ready = new Promise<Extract<Frame, { type: "snapshot" }>>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  ws.once("open", () => ws.send(JSON.stringify({ type: "subscribe", ...subscribe })));
  // Errors end in "close" (the caller decides whether to reconnect); before the snapshot they fail `ready`.
  ws.on("error", (error) => rejectReady(error));
  ws.on("message", (data) => {
    const at = performance.now();
    const frame = serverMessage.parse(JSON.parse(String(data)));
    if (frame.type === "snapshot") resolveReady(frame);
    onFrame(frame, at);
  });
  return { ws, ready, close: () => ws.close(1000) };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
