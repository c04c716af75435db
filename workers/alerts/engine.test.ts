import { evictDurableObject } from "cloudflare:test";
import { afterAll, beforeAll, expect, it } from "vitest";
import { dayBucket, isolatedRoom, member, minuteBucket } from "../live/test-room.ts";
import { eventually } from "../test-support.ts";
import { admin, hookKey, receivedAt, receiverUrl, uniqueId, WARM_UP_MS, warmUp } from "./testing/support.ts";

beforeAll(warmUp, WARM_UP_MS);

const ruleId = uniqueId("room-rule");
afterAll(() => admin("DELETE", `/api/v1/alerts/rules/${ruleId}`));

it("fires once from the live room, survives redelivery and eviction, then resolves", async () => {
  const key = hookKey("room");
  const channelId = uniqueId("room-hook");
  await admin("PUT", `/api/v1/alerts/channels/${channelId}`, {
    type: "webhook",
    url: `${receiverUrl()}/hook/${key}`,
  });
  const region = member("alert");
  const created = await admin("PUT", `/api/v1/alerts/rules/${ruleId}`, {
    name: "Region order surge",
    metric: "orders",
    filters: { region },
    condition: { type: "threshold", grain: "hour", op: ">", value: 5 },
    resolve_after: 2,
    channels: [channelId],
  });
  expect(created.status).toBe(201);
  const room = isolatedRoom();
  const at = Date.now();
  const update = (orders: number) => ({
    minutes: [minuteBucket("region", region, orders, orders * 10, at)],
    days: [dayBucket("region", region, orders, orders * 10)],
  });
  const statuses = async () => (await receivedAt(key)).map((r) => JSON.parse(r.body).status as string);

  // Each update that changes something is evaluated; the engine loads its rules on the first ones.
  let orders = 8;
  const firing = await eventually(
    async () => {
      await room.apply(update(++orders));
      return statuses();
    },
    (s) => s.length > 0,
    20_000,
  );
  expect(firing).toEqual(["firing"]);

  // A redelivered batch (the same absolute values, same write time) is not even evaluated.
  const same = update(orders);
  await room.apply(same);
  await room.apply(same);
  // Still breaching, after an eviction too: the firing incident is reloaded, not fired again.
  await evictDurableObject(room);
  for (let i = 0; i < 5; i++) await room.apply(update(++orders));
  await new Promise((r) => setTimeout(r, 500));
  expect(await statuses()).toEqual(["firing"]);

  const resolved = await eventually(
    async () => {
      await room.apply(update(Math.max(0, 1 + (orders++ % 2))));
      return statuses();
    },
    (s) => s.length > 1,
    20_000,
  );
  expect(resolved).toEqual(["firing", "resolved"]);
  const bodies = (await receivedAt(key)).map((r) => JSON.parse(r.body));
  expect(bodies[0].alert_id).toBe(bodies[1].alert_id);
  expect(bodies[0]).toMatchObject({ metric: "orders", filters: { region }, rule: { id: ruleId } });
  expect(bodies[0].observed).toBeGreaterThan(5);
}, 60_000);

const probeRuleId = uniqueId("probe-rule");
const confirmRuleId = uniqueId("confirm-rule");
afterAll(async () => {
  await admin("DELETE", `/api/v1/alerts/rules/${probeRuleId}`);
  await admin("DELETE", `/api/v1/alerts/rules/${confirmRuleId}`);
});

it("confirms a breach when no other update comes", async () => {
  const region = member("confirm");
  const hooks = { probe: hookKey("probe"), confirm: hookKey("confirm") };
  for (const [name, key] of Object.entries(hooks)) {
    await admin("PUT", `/api/v1/alerts/channels/${name}-${key}`, {
      type: "webhook",
      url: `${receiverUrl()}/hook/${key}`,
    });
  }
  const rule = (id: string, forUpdates: number, channel: string) =>
    admin("PUT", `/api/v1/alerts/rules/${id}`, {
      name: "Any order in the region",
      metric: "orders",
      filters: { region },
      condition: { type: "threshold", grain: "hour", op: ">", value: 0 },
      for_updates: forUpdates,
      channels: [channel],
    });
  // The probe fires on its first evaluation, which judges the rule under test for the first time.
  expect((await rule(probeRuleId, 1, `probe-${hooks.probe}`)).status).toBe(201);
  expect((await rule(confirmRuleId, 2, `confirm-${hooks.confirm}`)).status).toBe(201);
  const room = isolatedRoom();
  let orders = 0;
  // Updates until the engine has the rules (it reloads them every 10 s) and the probe has fired.
  await eventually(
    async () => {
      await room.apply({
        minutes: [minuteBucket("region", region, ++orders, orders * 10)],
        days: [dayBucket("region", region, orders, orders * 10)],
      });
      return eventually(
        () => receivedAt(hooks.probe),
        (r) => r.length > 0,
        3_000,
      );
    },
    (r) => r.length > 0,
    30_000,
  );
  // From here on no update reaches the room: the breach waiting for its confirmation is judged
  // again without one.
  const confirmed = await eventually(
    () => receivedAt(hooks.confirm),
    (r) => r.length > 0,
    20_000,
  );
  expect(confirmed.map((r) => JSON.parse(r.body).status)).toEqual(["firing"]);
}, 90_000);
