/**
 * Feeds the dashboard: fetches the HTTP summary and opens the live socket at the same time, so the
 * first figures appear with whichever answers first; live frames then update them in place. On
 * every (re)connection it subscribes to `watch`, resuming from the last sequence number it holds.
 *
 * All mutable state lives inside the effect of the component that uses it (no module singletons):
 * unmounting closes the socket, aborts the fetches and removes every listener.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { Filter } from "../../../workers/live/protocol.ts";
import { ApiError, fetchSession, fetchSummary } from "../lib/api.ts";
import { parseFrame } from "../lib/frames.ts";
import {
  defaultWatch,
  initialView,
  type KpiEvent,
  type KpiView,
  step,
  type Watch,
} from "../lib/kpi-state.ts";
import { openLiveSocket, sendMessage, startHeartbeat } from "../lib/live-socket.ts";

export type Connection = "connecting" | "live" | "reconnecting" | "offline";

export interface LiveKpis {
  view: KpiView;
  connection: Connection;
  /** The first load has an outcome (figures, or an error worth showing): time to show the page. */
  ready: boolean;
  /** Client clock when the server last confirmed the figures are current (any frame or pong). */
  heardAt: number | null;
  /** `performance.now()` when the frame behind the current figures arrived; null before one has. */
  arrivedAt: number | null;
}

/** A subscription that isn't answered in this time is sent again. */
const ANSWER_WAIT_MS = 3000;
/** Show the page (with placeholders) even if neither the summary nor the socket has answered. */
const REVEAL_AFTER_MS = 1500;
/** Re-render for a confirmation (pong) at most this often; frames re-render anyway. */
const HEARD_RESOLUTION_MS = 1000;

/**
 * @param onUnauthorized called when the server says there is no valid session; `hadData` tells a
 *   session that ended (figures were shown) from a visitor who never signed in.
 * @param watch the filter and windows to subscribe to; a change re-subscribes on the open socket
 *   (the room answers with a snapshot of the new subscription).
 */
export function useLiveKpis(
  onUnauthorized: (hadData: boolean) => void,
  watch: Watch = defaultWatch,
): LiveKpis {
  const [view, setView] = useState<KpiView>(() => initialView(watch));
  const [connection, setConnection] = useState<Connection>(() =>
    navigator.onLine ? "connecting" : "offline",
  );
  const [ready, setReady] = useState(false);
  const [heardAt, setHeardAt] = useState<number | null>(null);
  const [arrivedAt, setArrivedAt] = useState<number | null>(null);
  const unauthorized = useRef(onUnauthorized);
  unauthorized.current = onUnauthorized;
  const watchKey = JSON.stringify(watch);
  const watched = useRef(watchKey);
  /** Set while the socket's effect runs: starts watching something else on the same socket. */
  const rewatch = useRef<((next: Watch) => void) | null>(null);

  useEffect(() => {
    const lifetime = new AbortController();
    const { signal } = lifetime;
    const socket = openLiveSocket(window.location);
    const heartbeat = startHeartbeat(socket);
    let current = initialView(JSON.parse(watched.current) as Watch);
    setView(current);
    let opened = false;
    let probing = false;
    let lastHeard = 0;
    let answerTimer: ReturnType<typeof setTimeout> | undefined;
    const revealTimer = setTimeout(() => setReady(true), REVEAL_AFTER_MS);

    const apply = (event: KpiEvent, arrived?: number) => {
      const next = step(current, event);
      if (next.view !== current) {
        current = next.view;
        setView(current);
        if (arrived !== undefined) setArrivedAt(arrived);
      }
      if (next.send) {
        sendMessage(socket, next.send);
        clearTimeout(answerTimer);
        // An unanswered subscribe or resync (lost in a reconnect) is replaced by a new subscribe.
        answerTimer = setTimeout(() => {
          if (current.awaiting) apply({ type: "connected" });
        }, ANSWER_WAIT_MS);
      }
    };
    rewatch.current = (next: Watch) => {
      // From scratch: figures of the previous filter must not be merged with the new one's.
      current = initialView(next);
      setView(current);
      if (opened) apply({ type: "connected" });
    };
    const heard = (at: number, force: boolean) => {
      heartbeat.heard();
      if (force || at - lastHeard >= HEARD_RESOLUTION_MS) {
        lastHeard = at;
        setHeardAt(at);
      }
    };
    const signedOut = () => {
      if (!signal.aborted) unauthorized.current(current.source !== "none");
    };

    fetchSummary(signal).then(
      (summary) => {
        apply({ type: "summary", summary, at: Date.now() });
        setReady(true);
      },
      (error: unknown) => {
        if (signal.aborted) return;
        if (error instanceof ApiError && error.unauthorized) return signedOut();
        // The socket may still deliver; the page shows the connection state either way.
        console.warn("pulse: summary unavailable:", error instanceof Error ? error.message : error);
        setReady(true);
      },
    );

    socket.addEventListener(
      "open",
      () => {
        opened = true;
        apply({ type: "connected" });
      },
      { signal },
    );

    socket.addEventListener(
      "message",
      (event) => {
        const at = Date.now();
        const arrived = performance.now();
        const parsed = parseFrame(event.data);
        if (!parsed.ok) {
          console.warn(`pulse: ignored an invalid live frame (${parsed.reason})`);
          return;
        }
        const { message } = parsed;
        if (message.type === "pong") return heard(at, false);
        if (message.type === "error") {
          console.warn(`pulse: the live room answered ${message.code}: ${message.message}`);
          return;
        }
        // An answer to the subscription before the last re-subscribe, still in flight.
        if (message.type === "snapshot" && !sameFilter(message.filter, current.watch.filter)) return;
        const wasAwaiting = current.awaiting;
        apply({ type: "frame", frame: message, at }, arrived);
        heard(at, true);
        if (wasAwaiting && !current.awaiting) {
          clearTimeout(answerTimer);
          setConnection(navigator.onLine ? "live" : "offline");
          setReady(true);
        }
      },
      { signal },
    );

    socket.addEventListener(
      "close",
      () => {
        clearTimeout(answerTimer);
        setConnection(navigator.onLine ? "reconnecting" : "offline");
        // A socket that closes before it ever opened was most likely refused at the upgrade
        // (browsers hide the status). Ask the session endpoint whether the session is gone.
        if (!opened && !probing) {
          probing = true;
          fetchSession(signal)
            .catch((error: unknown) => {
              if (error instanceof ApiError && error.unauthorized) signedOut();
            })
            .finally(() => {
              probing = false;
            });
        }
        opened = false;
      },
      { signal },
    );

    window.addEventListener("offline", () => setConnection("offline"), { signal });
    // Back online: don't wait out the backoff (and drop a socket that may have died silently).
    window.addEventListener(
      "online",
      () => {
        setConnection("reconnecting");
        socket.reconnect();
      },
      { signal },
    );
    // A tab coming back to the front checks its socket at once (its timers may have been slowed).
    document.addEventListener(
      "visibilitychange",
      () => {
        if (document.visibilityState === "visible") heartbeat.ping();
      },
      { signal },
    );

    return () => {
      rewatch.current = null;
      lifetime.abort(); // removes every listener above and cancels the fetches
      heartbeat.stop();
      clearTimeout(answerTimer);
      clearTimeout(revealTimer);
      socket.close(1000, "dashboard closed");
    };
  }, []);

  useEffect(() => {
    if (watched.current === watchKey) return;
    watched.current = watchKey;
    rewatch.current?.(JSON.parse(watchKey) as Watch);
  }, [watchKey]);

  return { view, connection, ready, heardAt, arrivedAt };
}

function sameFilter(a: Filter, b: Filter): boolean {
  return a.region === b.region && a.segment === b.segment && a.category === b.category;
}
