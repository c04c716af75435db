/**
 * Each channel's wire format (pure): Standard Webhooks-signed JSON, Slack Block Kit, PagerDuty
 * Events API v2, and an email's HTML and plain text.
 */
import { Webhook } from "standardwebhooks";
import { type AlertPayload, explanationLines, figures, headline } from "../payload.ts";

export interface HttpDelivery {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** Webhook: the payload as JSON, signed (`webhook-id` stays the same across retries). */
export function webhookRequest(
  p: object,
  channel: { url: string; secret: string },
  deliveryId: string,
  now: Date,
): HttpDelivery {
  const body = JSON.stringify(p);
  const signature = new Webhook(channel.secret).sign(deliveryId, now, body);
  return {
    url: channel.url,
    headers: {
      "content-type": "application/json",
      "webhook-id": deliveryId,
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "webhook-signature": signature,
    },
    body,
  };
}

const escapeMrkdwn = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Slack incoming webhook: Block Kit with the headline, the numbers, the cause and a button. */
export function slackMessage(p: AlertPayload): Record<string, unknown> {
  const f = figures(p);
  const icon = p.test ? "🧪" : p.status === "resolved" ? "✅" : "🚨";
  const cause = explanationLines(p);
  const blocks: Record<string, unknown>[] = [
    {
      type: "header",
      text: { type: "plain_text", text: `${icon} ${headline(p)}`.slice(0, 150), emoji: true },
    },
    { type: "section", text: { type: "mrkdwn", text: escapeMrkdwn(p.summary).slice(0, 3000) } },
    {
      type: "section",
      fields: [
        { type: "mrkdwn", text: `*Observed*\n${f.observed}` },
        { type: "mrkdwn", text: `*Expected*\n${f.expected}` },
        { type: "mrkdwn", text: `*Deviation*\n${f.deviation}` },
        { type: "mrkdwn", text: `*Since*\n${p.started_at}${p.ended_at ? ` → ${p.ended_at}` : ""}` },
      ],
    },
  ];
  if (cause.length) {
    blocks.push({
      type: "section",
      text: {
        type: "mrkdwn",
        text: `*What drove it*\n${cause.map((l) => `• ${escapeMrkdwn(l)}`).join("\n")}`.slice(0, 3000),
      },
    });
  }
  blocks.push(
    {
      type: "actions",
      elements: [
        {
          type: "button",
          text: { type: "plain_text", text: "Open the dashboard" },
          url: p.dashboard_url,
          action_id: "open_dashboard",
          ...(p.status === "firing" && !p.test ? { style: "danger" } : {}),
        },
      ],
    },
    {
      type: "context",
      elements: [{ type: "mrkdwn", text: `alert \`${p.alert_id}\` · rule \`${p.rule.id}\`` }],
    },
  );
  return { text: `${headline(p)}: ${p.summary}`, blocks };
}

/** PagerDuty Events API v2: trigger or resolve, deduplicated by alert_id. */
export function pagerDutyEvent(p: AlertPayload, routingKey: string): Record<string, unknown> {
  if (p.status === "resolved")
    return { routing_key: routingKey, event_action: "resolve", dedup_key: p.alert_id };
  return {
    routing_key: routingKey,
    event_action: "trigger",
    dedup_key: p.alert_id,
    payload: {
      summary: `${headline(p)}: ${p.summary}`.slice(0, 1024),
      source: "pulse",
      severity: p.test ? "info" : "error",
      timestamp: p.started_at,
      component: p.metric,
      group: Object.entries(p.filters).map(([k, v]) => `${k}:${v}`)[0] ?? "all",
      class: p.condition.type,
      custom_details: {
        observed: p.observed,
        expected: p.expected,
        deviation_pct: p.deviation_pct,
        score: p.score,
        explanation: p.explanation,
        sources: p.sources,
      },
    },
    links: [{ href: p.dashboard_url, text: "Pulse dashboard" }],
    client: "Pulse",
    client_url: p.dashboard_url,
  };
}

const escapeHtml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Email: subject, HTML and the same content as plain text. */
export function emailMessage(p: AlertPayload): { subject: string; html: string; text: string } {
  const f = figures(p);
  const cause = explanationLines(p);
  const rows: [string, string][] = [
    ["Observed", f.observed],
    ["Expected", f.expected],
    ["Deviation", f.deviation],
    ["Started", p.started_at],
    ...(p.ended_at ? ([["Ended", p.ended_at]] as [string, string][]) : []),
  ];
  const text = [
    headline(p),
    "",
    p.summary,
    "",
    ...rows.map(([k, v]) => `${k}: ${v}`),
    ...(cause.length ? ["", "What drove it:", ...cause.map((l) => `- ${l}`)] : []),
    "",
    `Dashboard: ${p.dashboard_url}`,
    `Alert ${p.alert_id} · rule ${p.rule.id}`,
  ].join("\n");
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif">
<h2>${escapeHtml(headline(p))}</h2>
<p>${escapeHtml(p.summary)}</p>
<table>${rows.map(([k, v]) => `<tr><th align="left">${k}</th><td>${escapeHtml(v)}</td></tr>`).join("")}</table>
${cause.length ? `<h3>What drove it</h3><ul>${cause.map((l) => `<li>${escapeHtml(l)}</li>`).join("")}</ul>` : ""}
<p><a href="${escapeHtml(p.dashboard_url)}">Open the dashboard</a></p>
<p style="color:#666">Alert ${escapeHtml(p.alert_id)} · rule ${escapeHtml(p.rule.id)}</p>
</body></html>`;
  return { subject: headline(p).slice(0, 200), html, text };
}
