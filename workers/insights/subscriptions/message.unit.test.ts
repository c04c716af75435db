import { describe, expect, it } from "vitest";
import { slackWebhookMessage } from "../../alerts/testing/public-formats.ts";
import type { Briefing } from "../briefing.ts";
import { briefingPayload, briefingPayloadSchema, renderBriefing } from "./message.ts";

const briefing: Briefing = {
  date: "2026-11-30",
  headline: "Revenue $12,400.00 on Monday 2026-11-30, up 8.1 % on the day before.",
  sentences: [
    "On Monday 2026-11-30 revenue was $12,400.00 <up> & more.",
    "Orders 120 (up 5.0 %), against the day before.",
  ],
  text: "…",
  figures: [
    {
      metric: "revenue",
      label: "Revenue",
      value: 12400,
      previous_day: 11470,
      change_pct_vs_previous_day: 8.1,
      week_ago: null,
      change_pct_vs_week_ago: null,
    },
  ],
  drivers: [],
  flags: null,
};

const payload = briefingPayload(
  briefing,
  "cfo-morning",
  "https://pulse.example.com",
  ["/api/v1/query?x"],
  new Date(0),
);

describe("the briefing in each channel's format", () => {
  it("is one JSON shape with a link to that day on the dashboard", () => {
    expect(briefingPayloadSchema.parse(payload)).toEqual(payload);
    expect(payload.dashboard_url).toBe("https://pulse.example.com/?from=2026-11-30&to=2026-11-30");
  });

  it("is a valid Slack Block Kit message with every sentence, escaped", () => {
    const slack = slackWebhookMessage.parse(renderBriefing(payload).slack());
    const text = JSON.stringify(slack);
    expect(text).toContain("&lt;up&gt; &amp; more");
    expect(text).toContain("Orders 120");
  });

  it("is an email with the same sentences in HTML and plain text, and never a page", () => {
    const email = renderBriefing(payload).email();
    expect(email.subject).toContain("2026-11-30");
    expect(email.text).toContain("Orders 120 (up 5.0 %)");
    expect(email.html).toContain("&lt;up&gt; &amp; more");
    expect(email.html).not.toContain("<up>");
    expect(renderBriefing(payload).pagerDuty("R0123")).toBeNull();
  });
});
