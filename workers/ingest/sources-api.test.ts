import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { saleEvent } from "../../test/support/events.ts";
import { TEST_VIEWER_TOKEN } from "../../test/support/tokens.ts";
import { admin, eventually, postSigned } from "../test-support.ts";

const unique = (prefix: string) => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;

async function create(name: string) {
  const response = await admin(`/api/v1/sources/${name}`, { method: "PUT" });
  expect(response.status).toBe(201);
  return (await response.json()) as { name: string; secret: string; webhook_url: string };
}

describe("source management", () => {
  it("creates a source whose secret signs webhooks, once", async () => {
    const name = unique("erp");
    const created = await create(name);
    expect(created.secret).toMatch(/^whsec_/);
    expect(created.webhook_url).toBe(`http://pulse.test/api/v1/cdc/${name}`);
    expect((await postSigned({ name, secret: created.secret }, JSON.stringify(saleEvent()))).status).toBe(
      202,
    );

    const again = await admin(`/api/v1/sources/${name}`, { method: "PUT" });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: "source_exists" } });
  });

  it("lists sources with their counts and never shows a secret again", async () => {
    const name = unique("shop");
    const { secret } = await create(name);
    const event = saleEvent();
    await postSigned({ name, secret }, JSON.stringify([event, saleEvent({ quantity: -1 })]));
    await postSigned({ name, secret }, JSON.stringify(event));
    const source = await eventually(
      async () =>
        (await (await admin(`/api/v1/sources/${name}`)).json()) as { counts: Record<string, number> },
      (s) => s.counts.accepted === 2 && s.counts.quarantined === 1,
    );
    expect(source.counts).toMatchObject({
      accepted: 2,
      processed: 1,
      duplicates: 1,
      quarantined: 1,
      unmapped: 0,
    });
    expect(JSON.stringify(source)).not.toContain(secret);
    const list = (await (await admin("/api/v1/sources")).json()) as { sources: { name: string }[] };
    expect(list.sources.map((s) => s.name)).toContain(name);
  });

  it("rotates a secret and keeps the old one valid for the grace period", async () => {
    const name = unique("crm");
    const { secret: old } = await create(name);
    const rotated = await admin(`/api/v1/sources/${name}`, {
      method: "PUT",
      body: JSON.stringify({ rotate: true, grace_seconds: 3600 }),
    });
    expect(rotated.status).toBe(200);
    const { secret: fresh, previous_secret_valid_until } = (await rotated.json()) as {
      secret: string;
      previous_secret_valid_until: string;
    };
    expect(fresh).not.toBe(old);
    expect(Date.parse(previous_secret_valid_until) - Date.now()).toBeGreaterThan(3_500_000);
    expect((await postSigned({ name, secret: fresh }, JSON.stringify(saleEvent()))).status).toBe(202);
    expect((await postSigned({ name, secret: old }, JSON.stringify(saleEvent()))).status).toBe(202);

    await admin(`/api/v1/sources/${name}`, {
      method: "PUT",
      body: JSON.stringify({ rotate: true, grace_seconds: 0 }),
    });
    expect((await postSigned({ name, secret: old }, JSON.stringify(saleEvent()))).status).toBe(401);
  });

  it("stops a deleted source's webhook at once", async () => {
    const name = unique("old");
    const { secret } = await create(name);
    expect((await admin(`/api/v1/sources/${name}`, { method: "DELETE" })).status).toBe(204);
    expect((await postSigned({ name, secret }, JSON.stringify(saleEvent()))).status).toBe(401);
    expect((await admin(`/api/v1/sources/${name}`, { method: "DELETE" })).status).toBe(404);
  });

  it("is for admins only, and says what is wrong with a bad request", async () => {
    const asViewer = await exports.default.fetch("http://pulse.test/api/v1/sources", {
      headers: { authorization: `Bearer ${TEST_VIEWER_TOKEN}` },
    });
    expect(asViewer.status).toBe(403);
    expect((await admin("/api/v1/sources/Bad%20Name", { method: "PUT" })).status).toBe(400);

    const name = unique("map");
    await create(name);
    const bad = await admin(`/api/v1/sources/${name}/mappings/inventory.orders`, {
      method: "PUT",
      body: JSON.stringify({ entity: "sale", columns: { amount: "price" } }),
    });
    expect(bad.status).toBe(422);
    expect(JSON.stringify(await bad.json())).toContain('\\"price\\" is not a field of sale');
  });
});
