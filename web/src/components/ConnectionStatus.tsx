/** The state of the live connection, as a word and a coloured dot. */
import type { Connection } from "../hooks/useLiveKpis.ts";

const HINT: Record<Connection, string> = {
  connecting: "Connecting to live updates",
  live: "Live: figures update as sales happen",
  reconnecting: "Connection lost; reconnecting. Figures may be behind.",
  offline: "Your device is offline. Figures may be behind.",
};

export function ConnectionStatus({ state }: { state: Connection }) {
  return (
    <p class="connection" data-state={state} data-testid="connection" title={HINT[state]} role="status">
      <span class="connection__dot" aria-hidden="true" />
      {state}
    </p>
  );
}
