/** Today's figures, live. */
import type { Tiles } from "../../../workers/live/protocol.ts";
import { useLiveKpis } from "../hooks/useLiveKpis.ts";
import { formatDay, type ValueKind } from "../lib/format.ts";
import { AppHeader } from "./AppHeader.tsx";
import { ConnectionStatus } from "./ConnectionStatus.tsx";
import { KpiTile } from "./KpiTile.tsx";
import { SignOutButton } from "./SignOutButton.tsx";
import { StaleBanner } from "./StaleBanner.tsx";
import { UpdatedAgo } from "./UpdatedAgo.tsx";

interface TileSpec {
  key: keyof Tiles;
  label: string;
  kind: ValueKind;
  /** Stable hooks for browser tests: the element's text is the formatted value, `data-value` the raw one. */
  testId: string;
}

const PRIMARY: readonly TileSpec[] = [
  { key: "revenue", label: "Revenue today", kind: "currency", testId: "tile-revenue" },
  { key: "orders", label: "Orders today", kind: "count", testId: "tile-orders" },
];
const SECONDARY: readonly TileSpec[] = [
  { key: "net_revenue", label: "Net revenue", kind: "currency", testId: "tile-net-revenue" },
  { key: "quantity", label: "Units sold", kind: "count", testId: "tile-units" },
];

export function Dashboard({ onSignedOut }: { onSignedOut: (notice?: string) => void }) {
  const { view, connection, ready, heardAt } = useLiveKpis((hadData) =>
    onSignedOut(hadData ? "Your session has ended. Sign in again to keep watching." : undefined),
  );
  const tiles = (specs: readonly TileSpec[], primary: boolean) =>
    specs.map((spec) => (
      <KpiTile
        key={spec.key}
        label={spec.label}
        kind={spec.kind}
        testId={spec.testId}
        value={view.tiles?.[spec.key] ?? null}
        primary={primary}
      />
    ));

  return (
    // Hidden until the first answer, so a visitor without a session goes straight to the sign-in
    // form instead of seeing an empty dashboard flash by.
    <div class="page" hidden={!ready}>
      <AppHeader>
        <SignOutButton onSignedOut={() => onSignedOut()} />
      </AppHeader>
      <main class="dashboard" aria-busy={view.tiles === null}>
        <div class="dashboard__meta">
          <h2 class="dashboard__day">
            {view.date ? (
              <time dateTime={view.date} data-testid="date">
                {formatDay(view.date)}
              </time>
            ) : (
              "Today"
            )}
          </h2>
          <div class="dashboard__status">
            <ConnectionStatus state={connection} />
            <UpdatedAgo changedAt={view.changedAt} asOf={view.asOf} />
          </div>
        </div>
        <StaleBanner heardAt={heardAt} />
        <div class="tiles tiles--primary">{tiles(PRIMARY, true)}</div>
        <div class="tiles tiles--secondary">{tiles(SECONDARY, false)}</div>
      </main>
    </div>
  );
}
