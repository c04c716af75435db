/**
 * The daily briefing as a subscriber receives it: one JSON shape (the webhook body) from which
 * Slack and email render their own formats, with the KPI API links its numbers come from.
 * PagerDuty is for pages, not for a morning read: a briefing never goes there.
 */
import { z } from "zod";
import type { Rendered } from "../../alerts/channels/send.ts";
import type { Briefing } from "../briefing.ts";

const figure = z.object({
  metric: z.string(),
  label: z.string(),
  value: z.number().nullable(),
  previous_day: z.number().nullable(),
  change_pct_vs_previous_day: z.number().nullable(),
  week_ago: z.number().nullable(),
  change_pct_vs_week_ago: z.number().nullable(),
});

export const briefingPayloadSchema = z.object({
  type: z.literal("briefing"),
  subscription_id: z.string(),
  date: z.string(),
  headline: z.string(),
  sentences: z.array(z.string()),
  text: z.string(),
  figures: z.array(figure),
  dashboard_url: z.string().url(),
  /** The KPI API requests each number comes from, and when they were read. */
  sources: z.object({ endpoints: z.array(z.string()), as_of: z.string() }),
});
export type BriefingPayload = z.infer<typeof briefingPayloadSchema>;

export function briefingPayload(
  briefing: Briefing,
  subscriptionId: string,
  publicUrl: string,
  endpoints: string[],
  asOf: Date,
): BriefingPayload {
  const dashboard = new URL("/", publicUrl);
  dashboard.searchParams.set("from", briefing.date);
  dashboard.searchParams.set("to", briefing.date);
  return {
    type: "briefing",
    subscription_id: subscriptionId,
    date: briefing.date,
    headline: briefing.headline,
    sentences: briefing.sentences,
    text: briefing.text,
    figures: briefing.figures,
    dashboard_url: dashboard.toString(),
    sources: { endpoints, as_of: asOf.toISOString() },
  };
}

const escapeMrkdwn = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const escapeHtml = (text: string) => escapeMrkdwn(text).replace(/"/g, "&quot;");

const title = (b: BriefingPayload) => `Pulse daily briefing · ${b.date}`;

export function renderBriefing(b: BriefingPayload): Rendered {
  return {
    webhook: b,
    slack: () => ({
      text: `${title(b)}: ${b.headline}`,
      blocks: [
        { type: "header", text: { type: "plain_text", text: `📊 ${title(b)}`.slice(0, 150), emoji: true } },
        ...b.sentences.map((s) => ({
          type: "section",
          text: { type: "mrkdwn", text: escapeMrkdwn(s).slice(0, 3000) },
        })),
        {
          type: "actions",
          elements: [
            {
              type: "button",
              text: { type: "plain_text", text: "Open the dashboard" },
              url: b.dashboard_url,
              action_id: "open_dashboard",
            },
          ],
        },
      ],
    }),
    pagerDuty: () => null,
    email: () => ({
      subject: `${title(b)}: ${b.headline}`.slice(0, 200),
      text: [title(b), "", ...b.sentences, "", `Dashboard: ${b.dashboard_url}`].join("\n"),
      html: `<!doctype html><html><body style="font-family:system-ui,sans-serif">
<h2>${escapeHtml(title(b))}</h2>
${b.sentences.map((s) => `<p>${escapeHtml(s)}</p>`).join("\n")}
<p><a href="${escapeHtml(b.dashboard_url)}">Open the dashboard</a></p>
</body></html>`,
    }),
  };
}
