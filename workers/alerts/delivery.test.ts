import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../index.ts";
import { eventually } from "../test-support.ts";
import type { AlertMessage, DeliverMessage, TransitionMessage } from "./messages.ts";
import type { AlertPayload } from "./payload.ts";
import { testPayload } from "./test-payload.ts";
import { pagerDutyEventV2, slackWebhookMessage } from "./testing/public-formats.ts";
import { admin, hookKey, receivedAt, receiverUrl, uniqueId, WARM_UP_MS, warmUp } from "./testing/support.ts";

beforeAll(warmUp, WARM_UP_MS);

function payload(alertId: string, ruleId: string, status: "firing" | "resolved"): AlertPayload {
  const base = testPayload("http://pulse.test");
  return {
    ...base,
    test: undefined,
    alert_id: alertId,
    status,
    rule: { id: ruleId, name: "Orders fell" },
    ended_at: status === "resolved" ? new Date().toISOString() : null,
  };
}

let counter = 0;
async function run(queue: string, bodies: unknown[], attempts = 1) {
  const batch = createMessageBatch<unknown>(
    queue,
    bodies.map((body) => ({ id: `alert-m-${++counter}`, timestamp: new Date(), attempts, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<unknown>, env, ctx);
  return getQueueResult(batch, ctx);
}

async function webhookChannel(query = "") {
  const id = uniqueId("hook");
  const key = hookKey("delivery");
  const response = await admin("PUT", `/api/v1/alerts/channels/${id}`, {
    type: "webhook",
    url: `${receiverUrl()}/hook/${key}${query}`,
  });
  const { secret } = (await response.json()) as { secret: string };
  return { id, key, secret };
}

const deliveries = async (channelId: string) =>
  (
    (await (await admin("GET", `/api/v1/alerts/deliveries?channel_id=${channelId}`)).json()) as {
      deliveries: { delivery_id: string; outcome: string; attempt: number; http_status: number | null }[];
    }
  ).deliveries.reverse();

function transition(
  kind: TransitionMessage["kind"],
  p: AlertPayload,
  channels: string[],
  slice = "region|EMEA",
): TransitionMessage {
  return { type: "transition", kind, slice, notify: true, channels, payload: p };
}

/** The body of the `n`th request that arrives for `key` (1-based), parsed. */
async function nthBody(key: string, n: number): Promise<unknown> {
  const arrived = await eventually(
    () => receivedAt(key),
    (r) => r.length >= n,
  );
  return JSON.parse(arrived[n - 1]!.body);
}

describe("transitions: recorded once, delivered once per channel, whatever is redelivered", () => {
  it("firing → every channel once (redelivered twice), then resolved once, with the timeline", async () => {
    const hook = await webhookChannel();
    const slackId = uniqueId("slack");
    const slackKey = hookKey("slack");
    await admin("PUT", `/api/v1/alerts/channels/${slackId}`, {
      type: "slack",
      url: `${receiverUrl()}/hook/${slackKey}`,
    });
    const pdId = uniqueId("pd");
    const pdKey = hookKey("pd");
    await admin("PUT", `/api/v1/alerts/channels/${pdId}`, {
      type: "pagerduty",
      routing_key: "R0123456789abcdefghijklmnopqrstu",
      url: `${receiverUrl()}/hook/${pdKey}`,
    });
    const ruleId = uniqueId("rule");
    const alertId = uniqueId("alert");
    const channels = [hook.id, slackId, pdId];

    const firing = transition("firing", payload(alertId, ruleId, "firing"), channels);
    await run("alert-deliveries", [firing]);
    await run("alert-deliveries", [firing, firing]);
    const arrived = await eventually(
      () => receivedAt(hook.key),
      (r) => r.length >= 1,
    );
    expect(arrived).toHaveLength(1);
    expect(new Webhook(hook.secret).verify(arrived[0]!.body, arrived[0]!.headers)).toMatchObject({
      alert_id: alertId,
      status: "firing",
    });
    expect(arrived[0]!.headers["webhook-id"]).toBe(`${alertId}.firing.${hook.id}`);
    slackWebhookMessage.parse(await nthBody(slackKey, 1));
    const trigger = pagerDutyEventV2.parse(await nthBody(pdKey, 1));
    expect(trigger).toMatchObject({ event_action: "trigger", dedup_key: alertId });

    const resolved = transition("resolved", payload(alertId, ruleId, "resolved"), channels);
    await run("alert-deliveries", [resolved, resolved]);
    const resolve = pagerDutyEventV2.parse(await nthBody(pdKey, 2));
    expect(resolve).toEqual({
      routing_key: "R0123456789abcdefghijklmnopqrstu",
      event_action: "resolve",
      dedup_key: alertId,
    });
    await eventually(
      () => receivedAt(hook.key),
      (r) => r.length >= 2,
    );
    // Give a wrongly repeated delivery time to show up before counting.
    await new Promise((r) => setTimeout(r, 300));
    expect((await receivedAt(hook.key)).map((r) => JSON.parse(r.body).status)).toEqual([
      "firing",
      "resolved",
    ]);
    expect(await receivedAt(slackKey)).toHaveLength(2);

    const list = (await (await admin("GET", "/api/v1/alerts?status=resolved")).json()) as {
      alerts: { alert_id: string; timeline: { status: string }[]; ended_at: string | null }[];
    };
    const incident = list.alerts.find((a) => a.alert_id === alertId)!;
    expect(incident.timeline.map((t) => t.status)).toEqual(["firing", "resolved"]);
    expect(incident.ended_at).not.toBeNull();
  });

  it("refuses a second firing incident for the same rule and slice", async () => {
    const hook = await webhookChannel();
    const ruleId = uniqueId("rule");
    await run("alert-deliveries", [
      transition("firing", payload(uniqueId("a"), ruleId, "firing"), [hook.id]),
    ]);
    await run("alert-deliveries", [
      transition("firing", payload(uniqueId("b"), ruleId, "firing"), [hook.id]),
    ]);
    await eventually(
      () => receivedAt(hook.key),
      (r) => r.length >= 1,
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(await receivedAt(hook.key)).toHaveLength(1);
  });

  it("a resolved that overtook its firing is delivered, and the late firing is not", async () => {
    const hook = await webhookChannel();
    const ruleId = uniqueId("rule");
    const alertId = uniqueId("alert");
    await run("alert-deliveries", [transition("resolved", payload(alertId, ruleId, "resolved"), [hook.id])]);
    await run("alert-deliveries", [transition("firing", payload(alertId, ruleId, "firing"), [hook.id])]);
    await eventually(
      () => receivedAt(hook.key),
      (r) => r.length >= 1,
    );
    await new Promise((r) => setTimeout(r, 300));
    expect((await receivedAt(hook.key)).map((r) => JSON.parse(r.body).status)).toEqual(["resolved"]);
  });
});

describe("transitions: the first attempt is made as the incident is recorded", () => {
  it("reaches every channel before the transition's batch is done: no second trip through the queue", async () => {
    const hook = await webhookChannel();
    const alertId = uniqueId("alert");
    await run("alert-deliveries", [
      transition("firing", payload(alertId, uniqueId("rule"), "firing"), [hook.id]),
    ]);
    const arrived = await receivedAt(hook.key);
    expect(arrived.map((r) => r.headers["webhook-id"])).toEqual([`${alertId}.firing.${hook.id}`]);
    expect((await deliveries(hook.id)).map((d) => [d.attempt, d.outcome])).toEqual([[1, "delivered"]]);
  });

  it("a first attempt that fails is retried through the queue, its attempts numbered on", async () => {
    const hook = await webhookChannel("?fail=1&status=503");
    const alertId = uniqueId("alert");
    await run("alert-deliveries", [
      transition("firing", payload(alertId, uniqueId("rule"), "firing"), [hook.id]),
    ]);
    const logged = await eventually(
      () => deliveries(hook.id),
      (d) => d.length >= 2,
      20_000,
    );
    expect(logged.map((d) => [d.attempt, d.outcome, d.http_status])).toEqual([
      [1, "retrying", 503],
      [2, "delivered", 200],
    ]);
    const arrived = await receivedAt(hook.key);
    expect(new Set(arrived.map((r) => r.headers["webhook-id"]))).toEqual(
      new Set([`${alertId}.firing.${hook.id}`]),
    );
  }, 30_000);
});

describe("delivery attempts", () => {
  const deliver = (channelId: string, alertId: string): DeliverMessage => ({
    type: "deliver",
    kind: "firing",
    channelId,
    deliveryId: `${alertId}.firing.${channelId}`,
    payload: payload(alertId, "r", "firing"),
  });

  it("retries 5xx until delivered, same webhook-id every time, every attempt logged", async () => {
    const hook = await webhookChannel("?fail=2&status=503");
    const message = deliver(hook.id, uniqueId("alert"));
    const first = await run("alert-deliveries", [message], 1);
    expect(first.retryMessages).toHaveLength(1);
    const second = await run("alert-deliveries", [message], 2);
    expect(second.retryMessages).toHaveLength(1);
    const third = await run("alert-deliveries", [message], 3);
    expect(third.retryMessages).toEqual([]);
    expect(third.explicitAcks).toHaveLength(1);
    const arrived = await receivedAt(hook.key);
    expect(new Set(arrived.map((r) => r.headers["webhook-id"]))).toEqual(new Set([message.deliveryId]));
    for (const r of arrived) new Webhook(hook.secret).verify(r.body, r.headers);
    expect((await deliveries(hook.id)).map((d) => [d.attempt, d.outcome, d.http_status])).toEqual([
      [1, "retrying", 503],
      [2, "retrying", 503],
      [3, "delivered", 200],
    ]);
  });

  it("through the real queue, waits longer before each retry", async () => {
    const hook = await webhookChannel("?fail=2&status=500");
    await env.ALERTS_QUEUE.send(deliver(hook.id, uniqueId("alert")));
    const arrived = await eventually(
      () => receivedAt(hook.key),
      (r) => r.length >= 3,
      20_000,
    );
    const gaps = arrived.slice(1).map((r, i) => r.at - arrived[i]!.at);
    // ALERT_RETRY_BASE_SECONDS is 1 in the tests: 1 s, then 2 s.
    expect(gaps[0]).toBeGreaterThanOrEqual(1000);
    expect(gaps[1]).toBeGreaterThanOrEqual(2000);
    expect((await deliveries(hook.id)).map((d) => d.outcome)).toEqual(["retrying", "retrying", "delivered"]);
  }, 30_000);

  it("doubles the delay up to five minutes", async () => {
    const { backoffSeconds } = await import("./delivery.ts");
    expect([1, 2, 3, 4, 5, 9, 12].map((n) => backoffSeconds(n, 2))).toEqual([2, 4, 8, 16, 32, 300, 300]);
  });

  it("410 Gone disables the channel; later deliveries are skipped without a request", async () => {
    const hook = await webhookChannel("?fail=always&status=410");
    await run("alert-deliveries", [deliver(hook.id, uniqueId("alert"))]);
    const channels = (await (await admin("GET", "/api/v1/alerts/channels")).json()) as {
      channels: { id: string; disabled_at: string | null }[];
    };
    expect(channels.channels.find((c) => c.id === hook.id)!.disabled_at).not.toBeNull();
    const again = await run("alert-deliveries", [deliver(hook.id, uniqueId("alert"))]);
    expect(again.explicitAcks).toHaveLength(1);
    expect(await receivedAt(hook.key)).toHaveLength(1);
    expect((await deliveries(hook.id)).map((d) => d.outcome)).toEqual(["disabled", "skipped"]);
    // PUT again re-enables it.
    await admin("PUT", `/api/v1/alerts/channels/${hook.id}`, {
      type: "webhook",
      url: `${receiverUrl()}/hook/${hook.key}`,
    });
    await run("alert-deliveries", [deliver(hook.id, uniqueId("alert"))]);
    expect((await deliveries(hook.id)).map((d) => d.outcome)).toEqual(["disabled", "skipped", "delivered"]);
  });

  it("a 4xx other than 410 and 429 is not retried", async () => {
    const hook = await webhookChannel("?fail=always&status=400");
    const result = await run("alert-deliveries", [deliver(hook.id, uniqueId("alert"))]);
    expect(result.retryMessages).toEqual([]);
    expect((await deliveries(hook.id)).map((d) => d.outcome)).toEqual(["failed"]);
  });

  it("the dead-letter consumer logs what failed every retry; a malformed message is logged, not retried", async () => {
    const hook = await webhookChannel();
    const dead = deliver(hook.id, uniqueId("alert"));
    await run("alert-deliveries-dlq", [dead], 6);
    expect((await deliveries(hook.id)).map((d) => [d.outcome, d.delivery_id])).toEqual([
      ["dead", dead.deliveryId],
    ]);
    const malformed = await run("alert-deliveries", [
      { type: "deliver", channelId: 42 } as unknown as AlertMessage,
    ]);
    expect(malformed.explicitAcks).toHaveLength(1);
    expect(malformed.retryMessages).toEqual([]);
  });
});
