/**
 * "Figures may be out of date": shown when the live service has not confirmed the figures for
 * `STALE_AFTER_MS` (no frame and no answer to a ping), whatever the reason — a dropped connection,
 * a sleeping laptop, a server that stopped answering. It names the moment since when.
 */
import { useState } from "preact/hooks";
import { useNow } from "../hooks/useNow.ts";
import { formatInstant } from "../lib/format.ts";
import { STALE_AFTER_MS } from "../lib/live-socket.ts";

/** @param heardAt client time of the last confirmation; null = none yet (counts from mount). */
export function StaleBanner({ heardAt }: { heardAt: number | null }) {
  const now = useNow(1000);
  const [mountedAt] = useState(Date.now);
  const since = heardAt ?? mountedAt;
  if (now - since <= STALE_AFTER_MS) return null;
  const iso = new Date(since).toISOString();
  return (
    <p class="stale" role="alert" data-testid="stale" data-since={iso}>
      Figures may be out of date: no live data since <time dateTime={iso}>{formatInstant(iso)}</time>.
      Reconnecting…
    </p>
  );
}
