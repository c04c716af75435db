import { env, exports } from "cloudflare:workers";
import { beforeAll, expect, it } from "vitest";
import { saleEvent } from "../../test/support/events.ts";
import { TEST_ADMIN_TOKEN } from "../../test/support/tokens.ts";
import { signedHeaders } from "../ingest/signature.ts";
import { createSource } from "../test-support.ts";
import { hourlySeries } from "./testing/business-series.ts";
import { admin, uniqueId, WARM_UP_MS, warmUp } from "./testing/support.ts";

beforeAll(warmUp, WARM_UP_MS);

const HOUR = 3_600_000;

/**
 * Four weeks of a region's hourly sales up to now, silent over `quiet`. Up to now, not to the last
 * full hour: the preview's last evaluation is now, and an hour with no sales yet would read as the
 * region going quiet.
 */
async function loadRegion(region: string, quiet: { from: number; to: number }) {
  const now = Date.now();
  const end = Math.floor(now / HOUR) * HOUR + HOUR;
  const events = hourlySeries(end - 28 * 24 * HOUR, 28 * 24, { seed: 5, peak: 40 }).flatMap(({ t, value }) =>
    Array.from({ length: value }, (_, k) => t + Math.floor(((k + 0.5) / value) * HOUR))
      .filter((at) => at < now && (at < quiet.from || at >= quiet.to))
      .map((at) => {
        const iso = new Date(at).toISOString();
        return saleEvent({ region, saleTimestamp: iso, eventTimestamp: iso, quantity: 1, unitPrice: 25 });
      }),
  );
  const source = await createSource("alerts");
  const body = `${events.map((e) => JSON.stringify(e)).join("\n")}\n`;
  const bulk = await exports.default.fetch(`http://pulse.test/api/v1/cdc/${source.name}/bulk`, {
    method: "POST",
    headers: { "content-type": "application/x-ndjson", ...signedHeaders(source.secret, body) },
    body,
  });
  expect(bulk.status).toBe(200);
  const finish = await exports.default.fetch(`http://pulse.test/api/v1/cdc/${source.name}/bulk/finish`, {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
  });
  expect(finish.status).toBe(200);
  return end;
}

it("previews when a rule would have fired: once, inside a region's silent afternoon", async () => {
  expect(env.REPORTING_TZ).toBe("UTC");
  const region = uniqueId("preview");
  const threeDaysAgo = Math.floor(Date.now() / (24 * HOUR)) * 24 * HOUR - 3 * 24 * HOUR;
  const quiet = { from: threeDaysAgo + 13 * HOUR, to: threeDaysAgo + 16 * HOUR };
  await loadRegion(region, quiet);
  const id = uniqueId("preview-rule");
  const created = await admin("PUT", `/api/v1/alerts/rules/${id}`, {
    name: "Region orders",
    metric: "orders",
    filters: { region },
    condition: { type: "anomaly" },
    min_volume: 5,
    // A preview needs no live evaluation (nor do other test files' rooms).
    enabled: false,
  });
  expect(created.status).toBe(201);
  const preview = await admin("POST", `/api/v1/alerts/rules/${id}/preview?days=7`);
  expect(preview.status).toBe(200);
  const body = (await preview.json()) as {
    evaluations: number;
    incidents: { kind: string; at: string; alert_id: string; summary: string }[];
  };
  await admin("DELETE", `/api/v1/alerts/rules/${id}`);
  expect(body.evaluations).toBe(7 * 96 + 1);
  expect(body.incidents.map((i) => i.kind)).toEqual(["firing", "resolved"]);
  const [firing, resolved] = body.incidents;
  expect(Date.parse(firing!.at)).toBeGreaterThanOrEqual(quiet.from);
  expect(Date.parse(firing!.at)).toBeLessThan(quiet.to);
  expect(resolved!.alert_id).toBe(firing!.alert_id);
  expect(firing!.summary).toMatch(/orders is \d+ % below a normal/);
  expect((await admin("POST", `/api/v1/alerts/rules/${id}/preview?days=500`)).status).toBe(400);
}, 60_000);
