/**
 * The overview of the selected range and filters: KPI tiles with their comparison, sparklines and
 * flags; revenue, orders, customers and order value per day; the live last hour; drill-down; and
 * data health. The view lives in the URL. The first figures come with the first API answers; live
 * frames then move today's share of them (see `lib/overview.ts`), and the API is asked again at
 * most every few seconds while sales flow, to reconcile what can't be folded in live.
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { useAlerts } from "../hooks/useAlerts.ts";
import { useAnswer } from "../hooks/useAnswer.ts";
import { useLiveKpis } from "../hooks/useLiveKpis.ts";
import { useNow } from "../hooks/useNow.ts";
import { useViewState } from "../hooks/useViewState.ts";
import { dayMarkers, markersIn, ordered } from "../lib/alerts.ts";
import { apiUrl, fetchSession, loadingHistory, type Role } from "../lib/api.ts";
import { daySeconds } from "../lib/charts.ts";
import { afterFirstScreen, firstScreenShown } from "../lib/first-screen.ts";
import { formatShortDay } from "../lib/format.ts";
import { overviewUrls, revenueFlags, TILE_SPECS, tileFigures } from "../lib/overview.ts";
import {
  apiParams,
  dayIn,
  liveFilter,
  PRESET_LABELS,
  reportingTimeZone,
  resolveRange,
  TIMEZONE_KEY,
} from "../lib/url-state.ts";
import { AlertBanner } from "./AlertBanner.tsx";
import { AlertsPanel } from "./AlertsPanel.tsx";
import { AppHeader } from "./AppHeader.tsx";
import { LazyRuleEditor } from "./alerts/LazyRuleEditor.tsx";
import { LazyAskPanel } from "./ask/LazyAskPanel.tsx";
import { ConnectionStatus } from "./ConnectionStatus.tsx";
import { COMPARE_LABELS, FilterBar } from "./FilterBar.tsx";
import { HealthPanel, useHealth } from "./HealthPanel.tsx";
import { KpiTile } from "./KpiTile.tsx";
import { LazyDrillDown } from "./LazyDrillDown.tsx";
import { LiveChart } from "./LiveChart.tsx";
import { MetricChart } from "./MetricChart.tsx";
import { RevenueChart } from "./RevenueChart.tsx";
import { SignOutButton } from "./SignOutButton.tsx";
import { StaleBanner } from "./StaleBanner.tsx";
import { UpdatedAgo } from "./UpdatedAgo.tsx";

/** While live sales change today's figures, ask the API again at most this often. */
const RECONCILE_MS = 5_000;

export function Dashboard({ onSignedOut }: { onSignedOut: (notice?: string) => void }) {
  const [view, setView] = useViewState();
  const timeZone = useReportingTimeZone();
  const today = dayIn(useNow(60_000), timeZone.value);
  const range = resolveRange(view, today);
  const params = apiParams(range, view.filters);
  const live = liveFilter(view.filters);
  const liveKey = JSON.stringify(live ?? {});
  const watch = useMemo(() => ({ filter: live ?? {}, minutes: 60, days: 1 }), [liveKey]);
  const signedOut = (hadData: boolean) =>
    onSignedOut(hadData ? "Your session has ended. Sign in again to keep watching." : undefined);
  const feed = useLiveKpis(signedOut, watch);
  const [refresh, setRefresh] = useState(0);

  const urls = overviewUrls(view, today);
  const totals = useAnswer(urls.totals, refresh, signedOut);
  // After the first screen: on one database backend its scan would hold up the tiles and charts.
  const distinct = useAnswer(urls.distinct, refresh, undefined, true);
  const days = useAnswer(urls.days, refresh);
  const daily = useAnswer(urls.daily, refresh);
  const advanced = useAnswer(urls.advanced, refresh);
  const firstScreenDone =
    (totals.answer !== null || totals.error !== null) && (days.answer !== null || days.error !== null);
  useEffect(() => {
    if (firstScreenDone) firstScreenShown();
  }, [firstScreenDone]);
  const answeredTimeZone = totals.answer?.meta.timezone;
  useEffect(() => timeZone.learn(answeredTimeZone), [answeredTimeZone]);

  const role = useRole();
  const health = useHealth();
  const alerts = useAlerts();
  const { firing } = ordered(alerts.incidents ?? []);
  const liveSlice = live
    ? Object.entries(live).map(([dim, member]) => ({ dim, member: String(member) }))[0]
    : null;
  // Markers: incidents of the slice on screen and of the whole business, on the live minutes
  // (epoch seconds) and on the per-day chart (each moved to its reporting day).
  const liveMarkers = useMemo(
    () => markersIn(alerts.incidents ?? [], 0, Number.MAX_SAFE_INTEGER, liveSlice),
    [alerts.incidents, liveKey],
  );
  const revenueMarkers = useMemo(
    () => dayMarkers(liveMarkers, (t) => daySeconds(dayIn(t * 1000, timeZone.value))),
    [liveMarkers, timeZone.value],
  );
  const { view: liveView } = feed;
  const liveToday =
    live !== null && liveView.source === "live" && liveView.tiles && liveView.date === range.to
      ? { date: liveView.date, tiles: liveView.tiles }
      : null;
  useReconcile(liveToday?.tiles.orders, liveToday?.tiles.revenue, () => setRefresh((n) => n + 1));

  // Fold live figures only into answers for the view on screen (not the one still loading). The
  // tiles show as soon as the totals answer; the daily series adds sparklines when it arrives.
  const current = totals.url === urls.totals && days.url === urls.days;
  const figures = totals.answer
    ? tileFigures(totals.answer, days.answer, current ? liveToday : null, distinct.answer)
    : null;
  const flags = revenueFlags(daily.answer, advanced.answer, today);
  const compareLabel = COMPARE_LABELS[view.compare];
  const rangeText =
    range.from === range.to
      ? formatShortDay(range.from)
      : `${formatShortDay(range.from)} – ${formatShortDay(range.to)}`;
  const isLive = feed.connection === "live" && feed.heardAt !== null;
  const asOf = isLive && liveView.asOf ? liveView.asOf : (totals.answer?.as_of ?? null);
  const confirmedAt = isLive ? feed.heardAt : totals.receivedAt;

  return (
    // Hidden until the first answer, so a visitor without a session goes straight to the sign-in
    // form instead of seeing an empty dashboard flash by.
    <div class="page" hidden={!feed.ready && totals.answer === null}>
      <AppHeader>
        <SignOutButton onSignedOut={() => onSignedOut()} />
      </AppHeader>
      <main class="dashboard" aria-busy={figures === null}>
        <div class="dashboard__meta">
          <h2 class="dashboard__day">
            {PRESET_LABELS[view.preset]}{" "}
            <span class="muted dashboard__range" data-testid="range-text">
              {rangeText}
            </span>
          </h2>
          <div class="dashboard__status">
            <ConnectionStatus state={feed.connection} />
            <UpdatedAgo changedAt={liveView.changedAt} asOf={liveView.asOf} />
          </div>
        </div>
        <AlertBanner firing={firing} />
        <StaleBanner heardAt={feed.heardAt} />
        {loadingHistory(health.health) && (
          <p class="note" role="status" data-testid="loading-history">
            Loading history… the figures and charts fill in as it arrives.
          </p>
        )}
        <FilterBar
          view={view}
          range={range}
          // Another range or filter starts the drill-down again from its top.
          onChange={(next) => setView({ ...next, drill: [] })}
          csvHref={apiUrl("/api/v1/export.csv", { report: "daily", ...params })}
        />
        {totals.error && !totals.answer && (
          <p class="form-error" role="alert">
            {totals.error}
          </p>
        )}
        <LazyAskPanel />
        <section class="tiles" aria-label="Key figures">
          {TILE_SPECS.map((spec) => (
            <KpiTile
              key={spec.metric}
              label={spec.label}
              kind={spec.kind}
              testId={spec.testId}
              figure={figures?.[spec.metric] ?? null}
              compareLabel={compareLabel}
              flags={spec.metric === "revenue" ? flags : undefined}
            />
          ))}
        </section>
        <section class="charts" aria-label="Charts">
          {daily.answer && (
            <RevenueChart daily={daily.answer} advanced={advanced.answer} markers={revenueMarkers} />
          )}
          <LiveChart
            markers={liveMarkers}
            minutes={liveView.minutes}
            asOf={liveView.asOf}
            arrivedAt={feed.arrivedAt}
            scope={live === null ? "all sales: live figures can't combine these filters" : scopeText(live)}
          />
          {days.answer && (
            <>
              <MetricChart days={days.answer} metric="orders" title="Orders per day" kind="count" />
              <MetricChart
                days={days.answer}
                metric="unique_customers"
                title="Unique customers per day"
                kind="count"
              />
              <MetricChart
                days={days.answer}
                metric="avg_order_value"
                title="Average order value per day"
                kind="currency"
              />
            </>
          )}
        </section>
        <AlertsPanel alerts={alerts} editor={role === "admin" ? <LazyRuleEditor /> : undefined} />
        <LazyDrillDown
          range={range}
          filters={view.filters}
          steps={view.drill}
          onSteps={(drill) => setView({ ...view, drill })}
        />
        <HealthPanel
          confirmedAt={confirmedAt}
          asOf={asOf}
          connection={feed.connection}
          role={role}
          health={health.health}
          error={health.error}
        />
      </main>
    </div>
  );
}

function scopeText(filter: Record<string, string | undefined>): string {
  const [name, value] = Object.entries(filter)[0] ?? [];
  return name ? `${name} ${value}` : "all sales";
}

/** The session's role (admin controls show only for admins); null until known. */
function useRole(): Role | null {
  const [role, setRole] = useState<Role | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    afterFirstScreen()
      .then(() => (controller.signal.aborted ? undefined : fetchSession(controller.signal)))
      .then(
        (role) => role && setRole(role),
        () => undefined,
      );
    return () => controller.abort();
  }, []);
  return role;
}

/**
 * The reporting timezone decides what "today" is for the presets. It is the server's: learnt from
 * the API's answers and remembered, UTC until then.
 */
function useReportingTimeZone(): { value: string; learn: (tz: unknown) => void } {
  const [value, setValue] = useState(reportingTimeZone);
  const learn = (tz: unknown) => {
    if (typeof tz !== "string" || tz === value) return;
    try {
      localStorage.setItem(TIMEZONE_KEY, tz);
    } catch {
      // Not remembered; learnt again next time.
    }
    setValue(tz);
  };
  return { value, learn };
}

/** Calls `reconcile` once, `RECONCILE_MS` after live figures first change, while they keep changing. */
function useReconcile(orders: number | undefined, revenue: number | undefined, reconcile: () => void) {
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  const seen = useRef<string | null>(null);
  const latest = useRef(reconcile);
  latest.current = reconcile;
  useEffect(() => {
    const key = orders === undefined ? null : `${orders}:${revenue}`;
    const first = seen.current === null;
    seen.current = key;
    if (key === null || first || pending.current !== null) return;
    pending.current = setTimeout(() => {
      pending.current = null;
      latest.current();
    }, RECONCILE_MS);
  }, [orders, revenue]);
  useEffect(
    () => () => {
      if (pending.current !== null) clearTimeout(pending.current);
    },
    [],
  );
}
