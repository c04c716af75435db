/**
 * Feeds the dashboard: fetches the HTTP summary and opens the live socket at the same time, so the
 * first figures appear with whichever answers first; live frames then update them in place.
 *
 * All mutable state lives inside the effect of the component that uses it (no module singletons):
 * unmounting closes the socket, aborts the fetches and removes every listener.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, fetchSession, fetchSummary } from "../lib/api.ts";
import { parseFrame } from "../lib/frames.ts";
import { initialView, type KpiEvent, type KpiView, step } from "../lib/kpi-state.ts";
import { openLiveSocket, sendMessage } from "../lib/live-socket.ts";

export type Connection = "connecting" | "live" | "reconnecting" | "offline";

export interface LiveKpis {
  view: KpiView;
  connection: Connection;
  /** The first load has an outcome (figures, or an error worth showing): time to show the page. */
  ready: boolean;
}

/** A connection that doesn't deliver its snapshot in this time gets an explicit resync. */
const SNAPSHOT_WAIT_MS = 3000;
/** Show the page (with placeholders) even if neither the summary nor the socket has answered. */
const REVEAL_AFTER_MS = 1500;

/**
 * @param onUnauthorized called when the server says there is no valid session; `hadData` tells a
 *   session that ended (figures were shown) from a visitor who never signed in.
 */
export function useLiveKpis(onUnauthorized: (hadData: boolean) => void): LiveKpis {
  const [view, setView] = useState<KpiView>(initialView);
  const [connection, setConnection] = useState<Connection>(() =>
    navigator.onLine ? "connecting" : "offline",
  );
  const [ready, setReady] = useState(false);
  const unauthorized = useRef(onUnauthorized);
  unauthorized.current = onUnauthorized;

  useEffect(() => {
    const lifetime = new AbortController();
    const { signal } = lifetime;
    const socket = openLiveSocket(window.location);
    let current = initialView;
    let opened = false;
    let probing = false;
    let snapshotTimer: ReturnType<typeof setTimeout> | undefined;
    const revealTimer = setTimeout(() => setReady(true), REVEAL_AFTER_MS);

    const apply = (event: KpiEvent) => {
      const next = step(current, event);
      current = next.view;
      setView(current);
      if (next.resync) resync();
    };
    const resync = () => {
      sendMessage(
        socket,
        current.seq === null || current.seq < 0
          ? { type: "resync" }
          : { type: "resync", last_seq: current.seq },
      );
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
        clearTimeout(snapshotTimer);
        snapshotTimer = setTimeout(() => {
          if (current.awaitingSnapshot) resync();
        }, SNAPSHOT_WAIT_MS);
      },
      { signal },
    );

    socket.addEventListener(
      "message",
      (event) => {
        const parsed = parseFrame(event.data);
        if (!parsed.ok) {
          console.warn(`pulse: ignored an invalid live frame (${parsed.reason})`);
          return;
        }
        const { message } = parsed;
        if (message.type === "error") {
          console.warn(`pulse: the live room answered ${message.code}: ${message.message}`);
          return;
        }
        apply({ type: "frame", frame: message, at: Date.now() });
        if (message.type === "snapshot") {
          clearTimeout(snapshotTimer);
          setConnection(navigator.onLine ? "live" : "offline");
          setReady(true);
        }
      },
      { signal },
    );

    socket.addEventListener(
      "close",
      () => {
        clearTimeout(snapshotTimer);
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

    return () => {
      lifetime.abort(); // removes every listener above and cancels the fetches
      clearTimeout(snapshotTimer);
      clearTimeout(revealTimer);
      socket.close(1000, "dashboard closed");
    };
  }, []);

  return { view, connection, ready };
}
