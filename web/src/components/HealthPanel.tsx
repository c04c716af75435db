/**
 * Data health: how fresh the figures are, the pipeline's lag, and each source's ledger — what it
 * accepted, what is stored, still in flight, or did not make it in (quarantined, unmapped,
 * dead-lettered) — beside the live connection's state. Admins also
 * get the operational controls; viewers never see them.
 */
import { useEffect, useState } from "preact/hooks";
import type { Connection } from "../hooks/useLiveKpis.ts";
import { useNow } from "../hooks/useNow.ts";
import { ApiError, fetchHealth, type Health, type Role, reconnectDashboards } from "../lib/api.ts";
import { formatAge, formatInstant, formatValue, NBSP } from "../lib/format.ts";

/** Health figures are polled: they change with every batch, but nobody reads them every second. */
const POLL_MS = 10_000;

/** The pipeline's health, polled while the tab is visible; the last answer and the last error. */
export function useHealth(): { health: Health | null; error: string | null } {
  const [health, setHealth] = useState<Health | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    const load = () =>
      fetchHealth(controller.signal).then(
        (h) => {
          setHealth(h);
          setError(null);
        },
        (e: unknown) => {
          if (!controller.signal.aborted) setError(e instanceof Error ? e.message : String(e));
        },
      );
    load();
    // A tab in the background skips its polls.
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") load();
    }, POLL_MS);
    return () => {
      clearInterval(timer);
      controller.abort();
    };
  }, []);
  return { health, error };
}

interface Props {
  /**
   * Client clock when the server last confirmed the figures on screen are current: a live frame or
   * pong while connected, else the API answer's arrival.
   */
  confirmedAt: number | null;
  /** Server time the figures are current at, shown on hover. */
  asOf: string | null;
  connection: Connection;
  role: Role | null;
  health: Health | null;
  error: string | null;
}

export function HealthPanel({ confirmedAt, asOf, connection, role, health, error }: Props) {
  const now = useNow(1000);
  const age = confirmedAt === null ? null : formatAge(now - confirmedAt);
  return (
    <section class="health card" aria-labelledby="health-title" data-testid="health">
      <h2 id="health-title" class="section-title">
        Data health
      </h2>
      <dl class="health__facts">
        <div>
          <dt>Data freshness</dt>
          <dd data-testid="freshness" title={asOf ? formatInstant(asOf) : undefined}>
            {age === null ? "—" : `as of ${age} ago`}
          </dd>
        </div>
        <div>
          <dt>Pipeline lag</dt>
          <dd data-testid="pipeline-lag">
            {health?.lag_ms === null || health?.lag_ms === undefined
              ? "—"
              : `${formatValue(health.lag_ms, "count")}${NBSP}ms`}
          </dd>
        </div>
        <div>
          <dt>Live connection</dt>
          <dd data-testid="health-connection">{connection}</dd>
        </div>
        <div>
          <dt>Last batch</dt>
          <dd>{health?.last_batch_at ? formatInstant(health.last_batch_at) : "—"}</dd>
        </div>
      </dl>
      {error && <p class="form-error">{error}</p>}
      {health && (
        <div class="table-scroll">
          <table class="table" data-testid="health-sources">
            <caption class="visually-hidden">Where each source's accepted events are, per source</caption>
            <thead>
              <tr>
                <th scope="col">Source</th>
                <th scope="col" class="num">
                  Ac&shy;cepted
                </th>
                <th
                  scope="col"
                  class="num"
                  title="Stored in bronze: processed, or a duplicate of an event stored before"
                >
                  Stored
                </th>
                <th
                  scope="col"
                  class="num"
                  title="On the queue or waiting for a retry; returns to 0 once the queue is drained"
                >
                  In flight
                </th>
                <th scope="col" class="num">
                  Quaran&shy;tined
                </th>
                <th scope="col" class="num">
                  Un&shy;mapped
                </th>
                <th scope="col" class="num">
                  Dead-&shy;lettered
                </th>
              </tr>
            </thead>
            <tbody>
              {health.sources.map((s) => (
                <tr key={s.name} data-source={s.name}>
                  <th scope="row">{s.name}</th>
                  <td class="num" data-column="accepted">
                    {formatValue(s.accepted, "count")}
                  </td>
                  <td class="num" data-column="stored">
                    {formatValue(s.processed + s.duplicates, "count")}
                  </td>
                  <td class="num" data-column="in_flight">
                    {formatValue(s.in_flight, "count")}
                  </td>
                  <td class="num" data-column="quarantined" data-alert={s.quarantined > 0 || undefined}>
                    {formatValue(s.quarantined, "count")}
                  </td>
                  <td class="num" data-column="unmapped" data-alert={s.unmapped > 0 || undefined}>
                    {formatValue(s.unmapped, "count")}
                  </td>
                  <td class="num" data-column="dead_lettered" data-alert={s.dead_lettered > 0 || undefined}>
                    {formatValue(s.dead_lettered, "count")}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {role === "admin" && <AdminControls />}
    </section>
  );
}

function AdminControls() {
  const [note, setNote] = useState<string | null>(null);
  const reconnect = () => {
    setNote("Reconnecting…");
    reconnectDashboards().then(
      () => setNote("Every dashboard was asked to reconnect."),
      (e: unknown) => setNote(e instanceof ApiError ? e.message : "Failed."),
    );
  };
  return (
    <div class="admin" data-testid="admin-controls">
      <h3 class="tile__label">Admin</h3>
      <button type="button" class="button button--small" onClick={reconnect}>
        Reconnect all dashboards
      </button>
      {note && (
        <p class="muted" role="status">
          {note}
        </p>
      )}
    </div>
  );
}
