/** The alert a channel test sends: clearly a test, in the real shape. */
import { type AlertPayload, dashboardUrl } from "./payload.ts";

export function testPayload(baseUrl: string, now = new Date()): AlertPayload {
  const at = now.toISOString();
  return {
    type: "alert",
    status: "firing",
    alert_id: `test-${now.getTime()}`,
    rule: { id: "test", name: "Test message from Pulse" },
    metric: "revenue",
    filters: {},
    condition: { type: "anomaly", detector: "seasonal", sensitivity: "medium" },
    observed: 620,
    expected: 1000,
    deviation_pct: -38,
    score: 0.6,
    started_at: at,
    ended_at: null,
    summary: "This is a test: nothing is wrong. A real alert looks like this.",
    explanation: [{ dimension: "region", member: "EMEA", contribution: -300, share_pct: 78.9 }],
    dashboard_url: dashboardUrl(baseUrl, {}, at),
    sources: { window: { from: at, to: at }, baseline: [], data: "test", room_seq: null, evaluated_at: at },
    test: true,
  };
}
