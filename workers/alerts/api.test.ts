import { exports } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { beforeAll, describe, expect, it } from "vitest";
import { TEST_VIEWER_TOKEN } from "../../test/support/tokens.ts";
import { alertPayloadSchema } from "./payload.ts";
import { pagerDutyEventV2, slackWebhookMessage } from "./testing/public-formats.ts";
import { admin, hookKey, receivedAt, receiverUrl, uniqueId, WARM_UP_MS, warmUp } from "./testing/support.ts";

beforeAll(warmUp, WARM_UP_MS);

// Disabled: these rules are about the API; live rooms of other test files need not evaluate them.
const anomalyRule = (channels: string[] = []) => ({
  enabled: false,
  name: "Revenue looks wrong",
  metric: "revenue",
  condition: { type: "anomaly" },
  channels,
});

describe("rules", () => {
  it("creates, reads, replaces and deletes a rule, with defaults filled in", async () => {
    const id = uniqueId("rule");
    const created = await admin("PUT", `/api/v1/alerts/rules/${id}`, anomalyRule());
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({
      id,
      version: 1,
      condition: { type: "anomaly", detector: "seasonal", sensitivity: "medium" },
      for_updates: 2,
      resolve_after: 3,
      filters: {},
      enabled: false,
    });
    const replaced = await admin("PUT", `/api/v1/alerts/rules/${id}`, {
      ...anomalyRule(),
      filters: { region: "EMEA" },
    });
    expect(replaced.status).toBe(200);
    expect(await replaced.json()).toMatchObject({ version: 2, filters: { region: "EMEA" } });
    expect(await (await admin("GET", `/api/v1/alerts/rules/${id}`)).json()).toMatchObject({ version: 2 });
    const list = (await (await admin("GET", "/api/v1/alerts/rules")).json()) as { rules: { id: string }[] };
    expect(list.rules.map((r) => r.id)).toContain(id);
    expect((await admin("DELETE", `/api/v1/alerts/rules/${id}`)).status).toBe(204);
    expect((await admin("GET", `/api/v1/alerts/rules/${id}`)).status).toBe(404);
    expect((await admin("DELETE", `/api/v1/alerts/rules/${id}`)).status).toBe(404);
  });

  it.each([
    ["not JSON", "{", "malformed_json", "not valid JSON"],
    ["an unknown metric", { ...anomalyRule(), metric: "vibes" }, "invalid_rule", "metric:"],
    [
      "two filters",
      { ...anomalyRule(), filters: { region: "EMEA", segment: "SMB" } },
      "invalid_rule",
      "at most one of region",
    ],
    [
      "a threshold without op",
      { ...anomalyRule(), condition: { type: "threshold", grain: "hour", value: 5 } },
      "invalid_rule",
      "condition.op",
    ],
    [
      "an unknown condition",
      { ...anomalyRule(), condition: { type: "vibes" } },
      "invalid_rule",
      "condition.type",
    ],
    [
      "unique customers on an anomaly",
      { ...anomalyRule(), metric: "unique_customers" },
      "invalid_rule",
      "unique_customers is known per day only",
    ],
    [
      "renotify of 5 s",
      { ...anomalyRule(), renotify_s: 5 },
      "invalid_rule",
      "0 (never) or 60–604800 seconds",
    ],
    ["an unknown field", { ...anomalyRule(), severity: "high" }, "invalid_rule", "severity"],
    [
      "a channel that does not exist",
      anomalyRule(["nope-nope"]),
      "unknown_channel",
      'No channel "nope-nope"',
    ],
  ])("answers 400 to %s, saying what is wrong", async (_name, body, code, message) => {
    const response = await admin("PUT", `/api/v1/alerts/rules/${uniqueId("bad")}`, body);
    expect(response.status).toBe(400);
    const error = (
      (await response.json()) as { error: { code: string; message: string; details?: string[] } }
    ).error;
    expect(error.code).toBe(code);
    expect([error.message, ...(error.details ?? [])].join("\n")).toContain(message);
  });

  it("keeps rules and channels to admins, and incidents to signed-in viewers", async () => {
    const asViewer = (path: string) =>
      exports.default.fetch(`http://pulse.test${path}`, {
        headers: { authorization: `Bearer ${TEST_VIEWER_TOKEN}` },
      });
    expect((await asViewer("/api/v1/alerts/rules")).status).toBe(403);
    expect((await asViewer("/api/v1/alerts/channels")).status).toBe(403);
    expect((await asViewer("/api/v1/alerts?status=firing")).status).toBe(200);
    expect((await exports.default.fetch("http://pulse.test/api/v1/alerts")).status).toBe(401);
    expect((await asViewer("/api/v1/alerts?status=sleeping")).status).toBe(400);
  });
});

describe("channels and their test messages, validated against the public formats", () => {
  it("webhook: a generated whsec_ secret returned once, and a test signed by Standard Webhooks", async () => {
    const id = uniqueId("hook");
    const key = hookKey("test-webhook");
    const created = await admin("PUT", `/api/v1/alerts/channels/${id}`, {
      type: "webhook",
      url: `${receiverUrl()}/hook/${key}`,
    });
    expect(created.status).toBe(201);
    const { secret } = (await created.json()) as { secret: string };
    expect(secret).toMatch(/^whsec_/);
    const listed = JSON.stringify(await (await admin("GET", "/api/v1/alerts/channels")).json());
    expect(listed).not.toContain(secret);

    const test = await admin("POST", `/api/v1/alerts/channels/${id}/test`);
    expect(await test.json()).toMatchObject({ delivered: true, status: 200 });
    const [arrived] = await receivedAt(key);
    const verified = new Webhook(secret).verify(arrived!.body, arrived!.headers);
    const payload = alertPayloadSchema.parse(verified);
    expect(payload).toMatchObject({ type: "alert", status: "firing", test: true });
    expect(() =>
      new Webhook(`whsec_${btoa("another secret of 24 bytes!")}`).verify(arrived!.body, arrived!.headers),
    ).toThrow();
  });

  it("slack: Block Kit with the headline, the numbers and a button to the dashboard", async () => {
    const id = uniqueId("slack");
    const key = hookKey("test-slack");
    await admin("PUT", `/api/v1/alerts/channels/${id}`, {
      type: "slack",
      url: `${receiverUrl()}/hook/${key}`,
    });
    expect(await (await admin("POST", `/api/v1/alerts/channels/${id}/test`)).json()).toMatchObject({
      delivered: true,
    });
    const message = slackWebhookMessage.parse(JSON.parse((await receivedAt(key))[0]!.body));
    expect(message.blocks[0]).toMatchObject({ type: "header" });
    expect(JSON.stringify(message.blocks)).toContain("*Deviation*\\n-38 %");
    const actions = message.blocks.find((b) => b.type === "actions") as { elements: { url?: string }[] };
    expect(actions.elements[0]!.url).toMatch(/^http/);
  });

  it("pagerduty: an Events API v2 trigger deduplicated by alert_id", async () => {
    const id = uniqueId("pd");
    const key = hookKey("test-pd");
    const routingKey = "R0123456789abcdefghijklmnopqrstu";
    await admin("PUT", `/api/v1/alerts/channels/${id}`, {
      type: "pagerduty",
      routing_key: routingKey,
      url: `${receiverUrl()}/hook/${key}`,
    });
    expect(await (await admin("POST", `/api/v1/alerts/channels/${id}/test`)).json()).toMatchObject({
      delivered: true,
    });
    const event = pagerDutyEventV2.parse(JSON.parse((await receivedAt(key))[0]!.body));
    expect(event).toMatchObject({
      event_action: "trigger",
      routing_key: routingKey,
      dedup_key: expect.stringMatching(/^test-/),
    });
  });

  it("email: sent through the send_email binding, HTML and plain text", async () => {
    const id = uniqueId("mail");
    await admin("PUT", `/api/v1/alerts/channels/${id}`, { type: "email", to: ["cfo@example.com"] });
    expect(await (await admin("POST", `/api/v1/alerts/channels/${id}/test`)).json()).toMatchObject({
      delivered: true,
    });
  });

  it.each([
    [{ type: "webhook", url: "ftp://example.com" }, "an http:// or https:// URL"],
    [{ type: "webhook", url: "https://example.com", secret: "hunter2" }, "a whsec_ secret"],
    [{ type: "pagerduty", routing_key: "short" }, "32-character integration key"],
    [{ type: "email", to: [] }, "to:"],
    [{ type: "carrier-pigeon" }, "type:"],
  ])("answers 400 to %j", async (body, message) => {
    const response = await admin("PUT", `/api/v1/alerts/channels/${uniqueId("bad")}`, body);
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain(message);
  });

  it("logs every test attempt, failures included", async () => {
    const id = uniqueId("down");
    const key = hookKey("test-down");
    await admin("PUT", `/api/v1/alerts/channels/${id}`, {
      type: "slack",
      url: `${receiverUrl()}/hook/${key}?fail=always&status=500`,
    });
    const test = await admin("POST", `/api/v1/alerts/channels/${id}/test`);
    expect(test.status).toBe(502);
    expect(await test.json()).toMatchObject({ delivered: false, status: 500 });
    const log = (await (await admin("GET", `/api/v1/alerts/deliveries?channel_id=${id}`)).json()) as {
      deliveries: unknown[];
    };
    expect(log.deliveries).toMatchObject([
      { channel_id: id, kind: "test", outcome: "failed", http_status: 500 },
    ]);
  });
});
