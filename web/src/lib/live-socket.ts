/**
 * How the dashboard reaches the live room: same origin (so the session cookie authenticates the
 * upgrade), ws:// or wss:// to match the page, a reconnect policy tuned for a dashboard that should
 * come back quickly without stampeding the Worker, and a heartbeat that notices a dead socket.
 */
import ReconnectingWebSocket, { type Options } from "partysocket/ws";
import { type ClientMessage, PING_FRAME } from "../../../workers/live/protocol.ts";

/** A ping this often; the runtime answers it without waking the room. */
export const PING_EVERY_MS = 5_000;
/** A ping unanswered for this long means the socket is dead (a silent network drop): reconnect. */
export const PONG_TIMEOUT_MS = 4_000;
/** Figures not confirmed by the server for this long are shown as stale. */
export const STALE_AFTER_MS = 10_000;

/**
 * `client` keeps a tab on the same live room shard across reconnects, so it can resume by
 * sequence number instead of taking a snapshot.
 */
export function liveUrl(location: Pick<Location, "protocol" | "host">, client?: string): string {
  const query = client ? `?client=${encodeURIComponent(client)}` : "";
  return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/api/v1/live${query}`;
}

const TAB_KEY = "pulse.live.client";

/** A random key per browser tab (kept in sessionStorage, so it survives reloads of the tab). */
export function tabKey(
  storage: Pick<Storage, "getItem" | "setItem"> | undefined = globalThis.sessionStorage,
): string {
  const existing = storage?.getItem(TAB_KEY);
  if (existing && /^[A-Za-z0-9_-]{1,64}$/.test(existing)) return existing;
  const key = crypto.randomUUID();
  try {
    storage?.setItem(TAB_KEY, key);
  } catch {
    // storage disabled: a key per page load still keeps reconnects on one shard
  }
  return key;
}

/**
 * The first retry after a drop waits 250 ms plus up to 250 ms of jitter; each further failure
 * waits 1.5× longer, capped at 5 s. partysocket has no jitter of its own but reads these options
 * on every attempt, so the getters draw a fresh random factor each time: a deploy closes every
 * socket at once, and without jitter every dashboard would come back in the same few
 * milliseconds, again and again.
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
    // Nothing is worth replaying on a new connection: the client subscribes (and resumes) on open.
    maxEnqueuedMessages: 0,
  };
}

export function openLiveSocket(
  location: Pick<Location, "protocol" | "host">,
  options: Partial<Options> = {},
): ReconnectingWebSocket {
  // Object.assign, not a spread: a spread would read the jittered getters once, for good.
  return new ReconnectingWebSocket(
    liveUrl(location, tabKey()),
    undefined,
    Object.assign(reconnectOptions(), options),
  );
}

export function sendMessage(
  socket: { readonly readyState: number; send(data: string): void },
  message: ClientMessage,
): void {
  if (socket.readyState !== 1) return; // OPEN; the next connection subscribes afresh
  socket.send(message.type === "ping" ? PING_FRAME : JSON.stringify(message));
}

/**
 * Pings every `PING_EVERY_MS` and reconnects when a ping goes unanswered for `PONG_TIMEOUT_MS`
 * (any frame counts as an answer). Judged by the time of the unanswered ping, not of the last
 * frame, so a background tab whose timers the browser slowed down is not mistaken for a dead one.
 * Returns a function to call on every received frame, and one to stop.
 */
export function startHeartbeat(
  socket: Pick<ReconnectingWebSocket, "send" | "readyState" | "reconnect">,
  now: () => number = Date.now,
): { heard(): void; ping(): void; stop(): void } {
  let unanswered: number | null = null;
  const ping = () => {
    if (socket.readyState !== 1) {
      unanswered = null;
      return;
    }
    if (unanswered !== null && now() - unanswered > PONG_TIMEOUT_MS) {
      unanswered = null;
      socket.reconnect();
      return;
    }
    if (unanswered === null) unanswered = now();
    socket.send(PING_FRAME);
  };
  const timer = setInterval(ping, PING_EVERY_MS);
  return {
    heard: () => {
      unanswered = null;
    },
    ping,
    stop: () => clearInterval(timer),
  };
}
