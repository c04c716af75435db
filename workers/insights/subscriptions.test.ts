/**
 * Briefing subscriptions: a viewer subscribes a channel at a local time; the scheduled job sends
 * the day's briefing through the alert queue once that time has come, signed like every webhook,
 * once a day, and again the next day.
 */
import { createScheduledController } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { beforeAll, describe, expect, it } from "vitest";
import { TEST_VIEWER_TOKEN } from "../../test/support/tokens.ts";
import {
  admin,
  hookKey,
  receivedAt,
  receiverUrl,
  uniqueId,
  WARM_UP_MS,
  warmUp,
} from "../alerts/testing/support.ts";
import worker from "../index.ts";
import { addDays, dayIn } from "../kpi/calendar.ts";
import { eventually } from "../test-support.ts";

beforeAll(warmUp, WARM_UP_MS);

function viewer(method: string, path: string, body?: unknown, token: string | null = TEST_VIEWER_TOKEN) {
  return exports.default.fetch(`http://pulse.test${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      "content-type": "application/json",
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function runScheduled(at: Date): Promise<void> {
  const controller = createScheduledController({ scheduledTime: at, cron: "*/5 * * * *" });
  await worker.scheduled(controller, env);
}

async function webhookChannel() {
  const id = uniqueId("brief-hook");
  const key = hookKey("briefing");
  const response = await admin("PUT", `/api/v1/alerts/channels/${id}`, {
    type: "webhook",
    url: `${receiverUrl()}/hook/${key}`,
  });
  const { secret } = (await response.json()) as { secret: string };
  return { id, key, secret };
}

const hhmm = (d: Date) => d.toISOString().slice(11, 16);

describe("briefing subscriptions", () => {
  it("says what is wrong with a subscription, and who may make one", async () => {
    const hook = await webhookChannel();
    const path = `/api/v1/insights/subscriptions/${uniqueId("sub")}`;
    const cases: [unknown, number, string][] = [
      [{ channel: hook.id, time: "7:30" }, 400, "HH:MM"],
      [{ channel: hook.id, time: "24:00" }, 400, "HH:MM"],
      [{ channel: hook.id, time: "07:30", timezone: "Mars/Olympus" }, 400, "IANA"],
      [{ channel: "no-such-channel", time: "07:30" }, 400, "PUT /api/v1/alerts/channels"],
    ];
    for (const [body, status, words] of cases) {
      const response = await viewer("PUT", path, body);
      expect(response.status).toBe(status);
      expect(JSON.stringify(await response.json())).toContain(words);
    }
    const pd = uniqueId("brief-pd");
    await admin("PUT", `/api/v1/alerts/channels/${pd}`, {
      type: "pagerduty",
      routing_key: "R0123456789abcdefghijklmnopqrstu",
    });
    const paging = await viewer("PUT", path, { channel: pd, time: "07:30" });
    expect(paging.status).toBe(400);
    expect(((await paging.json()) as { error: { code: string } }).error.code).toBe(
      "channel_not_for_briefings",
    );
    expect((await viewer("PUT", path, { channel: hook.id, time: "07:30" }, null)).status).toBe(401);

    const created = await viewer("PUT", path, { channel: hook.id, time: "07:30", timezone: "Asia/Tokyo" });
    expect(created.status).toBe(201);
    const body = (await created.json()) as {
      next_delivery: { date: string; time: string; timezone: string };
    };
    expect(body.next_delivery).toMatchObject({ time: "07:30", timezone: "Asia/Tokyo" });
    expect((await viewer("PUT", path, { channel: hook.id, time: "08:00" })).status).toBe(200);
    expect((await viewer("DELETE", path)).status).toBe(204);
    expect((await viewer("GET", path)).status).toBe(404);
  });

  it("delivers yesterday's briefing once at the chosen local time, signed, and again the next day", async () => {
    const hook = await webhookChannel();
    const id = uniqueId("sub");
    const now = new Date();
    const chosen = new Date(now.getTime() + 2 * 3_600_000);
    const created = await viewer("PUT", `/api/v1/insights/subscriptions/${id}`, {
      channel: hook.id,
      time: hhmm(chosen),
      timezone: "UTC",
    });
    expect(created.status).toBe(201);

    // Before its time nothing goes out; at it, one briefing; a second run the same day adds none.
    await runScheduled(new Date(chosen.getTime() - 10 * 60_000));
    await runScheduled(new Date(chosen.getTime() + 60_000));
    const first = (
      await eventually(
        () => receivedAt(hook.key),
        (r) => r.length > 0,
      )
    )[0]!;
    expect(first).toBeDefined();
    await runScheduled(new Date(chosen.getTime() + 6 * 60_000));
    await new Promise((r) => setTimeout(r, 500));
    expect(await receivedAt(hook.key)).toHaveLength(1);

    const headers = Object.fromEntries(Object.entries(first.headers).map(([k, v]) => [k, String(v)]));
    const payload = new Webhook(hook.secret).verify(first.body, headers) as {
      type: string;
      date: string;
      headline: string;
      text: string;
      dashboard_url: string;
      sources: { endpoints: string[] };
    };
    const day = dayIn(chosen, "UTC");
    expect(headers["webhook-id"]).toBe(`briefing.${id}.${day}.${hook.id}`);
    expect(payload.type).toBe("briefing");
    // The briefing of the day before, in the reporting timezone (UTC in the tests), as the
    // insights endpoint gives it.
    const yesterday = addDays(dayIn(chosen, env.REPORTING_TZ), -1);
    expect(payload.date).toBe(yesterday);
    const page = (await (await viewer("GET", `/api/v1/insights/daily?date=${yesterday}`)).json()) as {
      headline: string;
      text: string;
    };
    expect(payload.headline).toBe(page.headline);
    expect(payload.sources.endpoints.length).toBeGreaterThan(0);
    expect(payload.dashboard_url).toContain(`from=${yesterday}`);

    await runScheduled(new Date(chosen.getTime() + 24 * 3_600_000 + 60_000));
    expect(
      await eventually(
        () => receivedAt(hook.key),
        (r) => r.length >= 2,
      ),
    ).toHaveLength(2);
    const listed = (await (await viewer("GET", `/api/v1/insights/subscriptions/${id}`)).json()) as {
      last_sent_date: string;
    };
    expect(listed.last_sent_date).toBe(addDays(day, 1));
    const log = (await (await admin("GET", `/api/v1/alerts/deliveries?channel_id=${hook.id}`)).json()) as {
      deliveries: { kind: string; outcome: string }[];
    };
    expect(log.deliveries.filter((d) => d.kind === "briefing" && d.outcome === "delivered")).toHaveLength(2);
  });
});
