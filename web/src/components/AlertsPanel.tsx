/**
 * Alerts: what fires now (with its numbers, what drove it, and an Acknowledge button), then the
 * recent incidents, each folding out its timeline. Viewers and admins alike read and acknowledge
 * (acknowledging says "someone is on it"; it changes no rule). Admins also get the rule editor,
 * loaded as its own chunk when they open it.
 */
import type { ComponentChildren } from "preact";
import type { Alerts } from "../hooks/useAlerts.ts";
import { useNow } from "../hooks/useNow.ts";
import { duration, type Incident, metricKind, ordered, sliceLabel } from "../lib/alerts.ts";
import { formatInstant, formatValue } from "../lib/format.ts";

const RECENT = 10;

const pct = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0, signDisplay: "exceptZero" });

function figure(metric: string, value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  return formatValue(Math.round(value * 100) / 100, metricKind(metric));
}

function Numbers({ incident }: { incident: Incident }) {
  const d = incident.detail;
  return (
    <p class="alert__numbers">
      Observed <strong>{figure(d.metric, d.observed)}</strong>, expected {figure(d.metric, d.expected)}
      {d.deviation_pct !== null && d.deviation_pct !== undefined && ` (${pct.format(d.deviation_pct)} %)`}
    </p>
  );
}

function Drivers({ incident }: { incident: Incident }) {
  const drivers = (incident.detail.explanation ?? []).filter((e) => e.share_pct !== null).slice(0, 3);
  if (drivers.length === 0) return null;
  return (
    <p class="alert__drivers muted">
      Driven by{" "}
      {drivers.map((e, i) => (
        <span key={`${e.dimension}|${e.member}`}>
          {i > 0 && ", "}
          {e.dimension} {e.member} ({Math.round(e.share_pct ?? 0)} %)
        </span>
      ))}
    </p>
  );
}

function Timeline({ incident }: { incident: Incident }) {
  return (
    <ol class="alert__timeline" data-testid="alert-timeline">
      {incident.timeline.map((t, i) => (
        <li key={`${t.at}-${i}`} data-status={t.status}>
          <time dateTime={t.at}>{formatInstant(t.at)}</time> {t.status}
          {t.observed !== null && t.observed !== undefined && (
            <span class="muted">
              {" "}
              · {figure(incident.detail.metric, t.observed)} vs {figure(incident.detail.metric, t.expected)}
            </span>
          )}
        </li>
      ))}
    </ol>
  );
}

function Headline({ incident, now }: { incident: Incident; now: number }) {
  const started = Date.parse(incident.started_at);
  const ended = incident.ended_at ? Date.parse(incident.ended_at) : null;
  return (
    <div class="alert__head">
      <span class="alert__status" data-status={incident.status}>
        {incident.status === "firing" ? "Firing" : "Resolved"}
      </span>
      <span class="alert__name">{incident.detail.rule.name}</span>
      <span class="muted alert__slice">{sliceLabel(incident.slice)}</span>
      <span class="muted alert__when">
        <time dateTime={incident.started_at}>{formatInstant(incident.started_at)}</time>
        {" · "}
        {ended === null ? `for ${duration(now - started)}` : `lasted ${duration(ended - started)}`}
      </span>
    </div>
  );
}

function Card({ children, incident }: { children: ComponentChildren; incident: Incident }) {
  return (
    <li
      class="alert"
      data-testid="alert"
      data-alert-id={incident.alert_id}
      data-status={incident.status}
      data-acknowledged={incident.acknowledged_at ? "true" : "false"}
    >
      {children}
    </li>
  );
}

interface Props {
  alerts: Alerts;
  /** The admin's rule editor, when the session may edit rules. */
  editor?: ComponentChildren;
}

export function AlertsPanel({ alerts, editor }: Props) {
  const now = useNow(30_000);
  const { firing, recent } = ordered(alerts.incidents ?? []);
  return (
    <section id="alerts" class="alerts card" aria-labelledby="alerts-title" data-testid="alerts-panel">
      <div class="section-head">
        <h2 id="alerts-title" class="section-title">
          Alerts
        </h2>
        <span class="muted" data-testid="alerts-count">
          {alerts.incidents === null
            ? "…"
            : firing.length === 0
              ? "nothing firing"
              : `${firing.length} firing`}
        </span>
      </div>
      {alerts.error && (
        <p class="form-error" role="alert">
          {alerts.error}
        </p>
      )}
      {firing.length > 0 && (
        <ul class="alerts__list" aria-label="Firing now" data-testid="alerts-firing">
          {firing.map((incident) => (
            <Card key={incident.alert_id} incident={incident}>
              <Headline incident={incident} now={now} />
              {incident.detail.summary && <p class="alert__summary">{incident.detail.summary}</p>}
              <Numbers incident={incident} />
              <Drivers incident={incident} />
              <div class="alert__actions">
                {incident.acknowledged_at ? (
                  <span class="muted" data-testid="alert-acknowledged">
                    Acknowledged{" "}
                    <time dateTime={incident.acknowledged_at}>{formatInstant(incident.acknowledged_at)}</time>
                  </span>
                ) : (
                  <button
                    type="button"
                    class="button button--small"
                    data-testid="alert-ack"
                    onClick={() => void alerts.acknowledge(incident.alert_id)}
                  >
                    Acknowledge<span class="visually-hidden"> {incident.detail.rule.name}</span>
                  </button>
                )}
                {alerts.ackErrors[incident.alert_id] && (
                  <span class="form-error" role="alert">
                    {alerts.ackErrors[incident.alert_id]}
                  </span>
                )}
              </div>
              <details>
                <summary>Timeline</summary>
                <Timeline incident={incident} />
              </details>
            </Card>
          ))}
        </ul>
      )}
      <h3 class="alerts__subtitle">Recent incidents</h3>
      {recent.length === 0 ? (
        <p class="muted">No resolved incidents in the last 7 days.</p>
      ) : (
        <ul class="alerts__list" aria-label="Recent incidents" data-testid="alerts-recent">
          {recent.slice(0, RECENT).map((incident) => (
            <Card key={incident.alert_id} incident={incident}>
              <details>
                <summary>
                  <Headline incident={incident} now={now} />
                </summary>
                {incident.detail.summary && <p class="alert__summary">{incident.detail.summary}</p>}
                <Numbers incident={incident} />
                <Drivers incident={incident} />
                <Timeline incident={incident} />
              </details>
            </Card>
          ))}
        </ul>
      )}
      {editor}
    </section>
  );
}
