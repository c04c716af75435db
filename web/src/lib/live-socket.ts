/**
 * How the dashboard reaches the live room: same origin (so the session cookie authenticates the
 * upgrade), ws:// or wss:// to match the page, and a reconnect policy tuned for a dashboard that
 * should come back quickly without stampeding the Worker.
 */
import ReconnectingWebSocket, { type Options } from "partysocket/ws";
import type { ClientMessage } from "../../../workers/live/protocol.ts";

export function liveUrl(location: Pick<Location, "protocol" | "host">): string {
  return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/api/v1/live`;
}

/**
 * Delays grow 1.5× per failed attempt from ~250 ms to at most 5 s. partysocket has no jitter of
 * its own but reads these options on every attempt, so the getters draw a fresh random factor
 * each time: a deploy closes every socket at once, and without jitter every dashboard would come
 * back in the same few milliseconds, again and again.
 */
export function reconnectOptions(): Options {
  return {
    get minReconnectionDelay() {
      return 250 + Math.random() * 250;
    },
    get maxReconnectionDelay() {
      return 4000 + Math.random() * 1000;
    },
    reconnectionDelayGrowFactor: 1.5,
    connectionTimeout: 4000,
    // Nothing is worth replaying on a new connection: the room sends a fresh snapshot on connect.
    maxEnqueuedMessages: 0,
  };
}

export function openLiveSocket(location: Pick<Location, "protocol" | "host">): ReconnectingWebSocket {
  return new ReconnectingWebSocket(liveUrl(location), undefined, reconnectOptions());
}

export function sendMessage(socket: ReconnectingWebSocket, message: ClientMessage): void {
  socket.send(JSON.stringify(message));
}
