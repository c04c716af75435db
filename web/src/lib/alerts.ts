/**
 * Alerts as the dashboard shows them: the incidents of `GET /api/v1/alerts` (parsed, never cast),
 * acknowledging one, and the pure helpers the panel, the banner and the chart markers share.
 */
import * as z from "zod/mini";
import { ADDITIVE_MEASURES } from "../../../workers/kpi/measures.ts";
import { call } from "./api.ts";
import { afterFirstScreen } from "./first-screen.ts";

const num = z.nullable(z.number());

const detail = z.object({
  rule: z.object({ id: z.string(), name: z.string() }),
  metric: z.string(),
  summary: z.optional(z.string()),
  observed: z.optional(num),
  expected: z.optional(num),
  deviation_pct: z.optional(num),
  dashboard_url: z.optional(z.string()),
  explanation: z.optional(
    z.array(
      z.object({
        dimension: z.string(),
        member: z.string(),
        contribution: z.number(),
        share_pct: z.nullable(z.number()),
      }),
    ),
  ),
});

const timelineEntry = z.object({
  at: z.string(),
  status: z.string(),
  observed: z.optional(num),
  expected: z.optional(num),
});

const incident = z.object({
  alert_id: z.string(),
  rule_id: z.string(),
  slice: z.string(),
  status: z.enum(["firing", "resolved"]),
  started_at: z.string(),
  ended_at: z.nullable(z.string()),
  acknowledged_at: z.nullable(z.string()),
  detail,
  timeline: z.array(timelineEntry),
});
export type Incident = z.infer<typeof incident>;

/** Alert state changes under the page's feet: never from the HTTP cache. */
export const requestJson = <T>(path: string, schema: z.ZodMiniType<T>, init: RequestInit = {}): Promise<T> =>
  call(path, schema, { cache: "no-store", ...init });

const listBody = z.object({ alerts: z.array(incident) });
const ackBody = z.object({ alert_id: z.string(), acknowledged_at: z.nullable(z.string()) });

/** Incidents that started in the last `days` days, newest first (after the first screen). */
export function fetchAlerts(days: number, signal?: AbortSignal): Promise<Incident[]> {
  const from = new Date(Date.now() - days * 86_400_000).toISOString();
  return afterFirstScreen()
    .then(() => requestJson(`/api/v1/alerts?from=${encodeURIComponent(from)}`, listBody, { signal }))
    .then((b) => b.alerts);
}

export function acknowledgeAlert(alertId: string): Promise<string | null> {
  return requestJson(`/api/v1/alerts/${encodeURIComponent(alertId)}/ack`, ackBody, { method: "POST" }).then(
    (b) => b.acknowledged_at,
  );
}

// ── Pure helpers ─────────────────────────────────────────────────────────────────────────────────

/** "whole business", "region EMEA"… from the engine's slice key (`all|`, `region|EMEA`). */
/**
 * How an alert's figures read: a stored measure's unit from the registry; the alertable ratios
 * (average order value) are amounts of money.
 */
export function metricKind(metric: string): "count" | "currency" {
  return ADDITIVE_MEASURES.find((m) => m.name === metric)?.unit ?? "currency";
}

export function sliceLabel(slice: string): string {
  const [dim, ...rest] = slice.split("|");
  const member = rest.join("|");
  return !dim || dim === "all" || member === "" ? "whole business" : `${dim} ${member}`;
}

/** Firing incidents first (oldest first: the longest-running on top), then the rest, newest first. */
export function ordered(incidents: readonly Incident[]): { firing: Incident[]; recent: Incident[] } {
  const firing = incidents
    .filter((i) => i.status === "firing")
    .sort((a, b) => Date.parse(a.started_at) - Date.parse(b.started_at));
  const recent = incidents
    .filter((i) => i.status !== "firing")
    .sort((a, b) => Date.parse(b.started_at) - Date.parse(a.started_at));
  return { firing, recent };
}

/** The banner's sentence while something fires; null when nothing does. */
export function bannerText(firing: readonly Incident[]): string | null {
  if (firing.length === 0) return null;
  const first = firing[0]!;
  const head = `${first.detail.rule.name} (${sliceLabel(first.slice)})`;
  const more = firing.length > 1 ? ` and ${firing.length - 1} more` : "";
  return `Alert firing: ${head}${more}`;
}

export interface Marker {
  /** Epoch seconds. */
  t: number;
  kind: "start" | "end";
  alertId: string;
  label: string;
}

/**
 * Where incidents started and ended within [from, to] (epoch seconds): the chart markers. An
 * incident still firing has only its start. `slice` keeps the incidents of one slice (the chart's
 * filter) and of the whole business.
 */
export function markersIn(
  incidents: readonly Incident[],
  from: number,
  to: number,
  filter?: { dim: string; member: string } | null,
): Marker[] {
  const out: Marker[] = [];
  for (const i of incidents) {
    if (filter && i.slice !== `${filter.dim}|${filter.member}` && !i.slice.startsWith("all|")) continue;
    const label = `${i.detail.rule.name} — ${sliceLabel(i.slice)}`;
    const start = Date.parse(i.started_at) / 1000;
    if (start >= from && start <= to) out.push({ t: start, kind: "start", alertId: i.alert_id, label });
    if (i.ended_at) {
      const end = Date.parse(i.ended_at) / 1000;
      if (end >= from && end <= to) out.push({ t: end, kind: "end", alertId: i.alert_id, label });
    }
  }
  return out.sort((a, b) => a.t - b.t);
}

/** Markers on a per-day chart: each moved to its reporting day's midnight (UTC seconds). */
export function dayMarkers(markers: readonly Marker[], dayStart: (t: number) => number): Marker[] {
  return markers.map((m) => ({ ...m, t: dayStart(m.t) }));
}

/** "3 min", "1 h 20 min", "2 d 4 h": how long an incident lasted (or has lasted). */
export function duration(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}
