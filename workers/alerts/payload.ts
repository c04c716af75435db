/**
 * The alert as every channel receives it: one JSON shape (the webhook body), from which Slack,
 * PagerDuty and email render their own formats.
 */
import { z } from "zod";
import { conditionSchema, filtersSchema, type RuleFilters } from "./rules.ts";

const contribution = z.object({
  dimension: z.string(),
  member: z.string(),
  /** This member's part of the deviation, in the metric's unit (its observed − expected). */
  contribution: z.number(),
  /** contribution / total deviation × 100. */
  share_pct: z.number().nullable(),
});
export type Contribution = z.infer<typeof contribution>;

const window = z.object({ from: z.string(), to: z.string() });

export const alertPayloadSchema = z.object({
  type: z.literal("alert"),
  status: z.enum(["firing", "resolved"]),
  alert_id: z.string().min(1).max(80),
  rule: z.object({ id: z.string(), name: z.string() }),
  metric: z.string(),
  filters: filtersSchema,
  condition: conditionSchema,
  observed: z.number().nullable(),
  expected: z.number().nullable(),
  deviation_pct: z.number().nullable(),
  score: z.number().min(0).max(1),
  started_at: z.string(),
  ended_at: z.string().nullable(),
  summary: z.string(),
  explanation: z.array(contribution),
  dashboard_url: z.string().url(),
  sources: z.object({
    /** The window the figures are measured over, and the baseline windows. */
    window,
    baseline: z.array(window),
    /** Where the numbers come from. */
    data: z.string(),
    /** The live room's sequence number at evaluation: the update that moved the alert. */
    room_seq: z.number().nullable(),
    evaluated_at: z.string(),
  }),
  /** A re-notification of a still-firing alert. */
  renotify: z.boolean().optional(),
  /** A channel test: nothing is wrong. */
  test: z.boolean().optional(),
});
export type AlertPayload = z.infer<typeof alertPayloadSchema>;

/** The dashboard link, pre-filtered to the rule's slice and the incident's time. */
export function dashboardUrl(baseUrl: string, filters: RuleFilters, startedAt: string): string {
  const url = new URL("/", baseUrl);
  url.searchParams.set("range", "today");
  for (const [name, value] of Object.entries(filters)) url.searchParams.set(name, value);
  url.searchParams.set("alert_at", startedAt);
  return url.toString();
}

const number = (value: number | null, digits = 2) =>
  value === null ? "—" : value.toLocaleString("en-US", { maximumFractionDigits: digits });

/** "Revenue (region EMEA) is 38 % below normal" — the one line every channel leads with. */
export function headline(p: AlertPayload): string {
  const where = Object.entries(p.filters)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  const what = `${p.metric.replace(/_/g, " ")}${where ? ` (${where})` : ""}`;
  const prefix = p.test
    ? "[test] "
    : p.status === "resolved"
      ? "Resolved: "
      : p.renotify
        ? "Still firing: "
        : "";
  return `${prefix}${p.rule.name} — ${what}`;
}

/** Observed / expected / deviation as short strings. */
export function figures(p: AlertPayload): { observed: string; expected: string; deviation: string } {
  return {
    observed: number(p.observed),
    expected: number(p.expected),
    deviation:
      p.deviation_pct === null ? "—" : `${p.deviation_pct > 0 ? "+" : ""}${number(p.deviation_pct, 1)} %`,
  };
}

/** "EMEA (region) −1,234 (92 %)" lines, largest contributions first. */
export function explanationLines(p: AlertPayload, limit = 5): string[] {
  return p.explanation
    .slice(0, limit)
    .map(
      (c) =>
        `${c.member} (${c.dimension}): ${c.contribution > 0 ? "+" : ""}${number(c.contribution)}${c.share_pct === null ? "" : ` (${number(c.share_pct, 0)} % of the deviation)`}`,
    );
}
