/**
 * Source secrets at rest and the source look-up: the database holds no secret in the clear (the
 * current one nor the previous during a rotation), the previous one is cleared once its grace
 * ends, rows from before encryption are sealed on first use, and names that are not sources get
 * the wrong-signature 401 from memory without a database read each time; a secret revoked by
 * another isolate stops storing data at once.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { saleEvent } from "../../test/support/events.ts";
import { admin, eventually, postSigned, query } from "../test-support.ts";
import { openSecret, sealSecret } from "./secret-box.ts";
import { newWebhookSecret } from "./signature.ts";
import { UNKNOWN_TTL_MS } from "./sources.ts";

const unique = (prefix: string) => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;

interface Row {
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
}
const row = async (name: string) =>
  (
    await query<Row>(
      "SELECT secret, previous_secret, previous_secret_expires_at FROM sources WHERE name = $1",
      [name],
    )
  )[0];

async function create(name: string): Promise<string> {
  const response = await admin(`/api/v1/sources/${name}`, { method: "PUT" });
  expect(response.status).toBe(201);
  return ((await response.json()) as { secret: string }).secret;
}

async function rotate(name: string, graceSeconds: number): Promise<string> {
  const response = await admin(`/api/v1/sources/${name}`, {
    method: "PUT",
    body: JSON.stringify({ rotate: true, grace_seconds: graceSeconds }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { secret: string }).secret;
}

/** The secret's key material, as it would appear in a dump in any common encoding. */
function plainForms(secret: string): string[] {
  const key = secret.replace(/^whsec_/, "");
  return [secret, key, key.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")];
}

// Database round trips: generous under a loaded machine.
describe("source secrets at rest", { timeout: 30_000 }, () => {
  it("the row holds no secret in the clear, during a rotation neither; the Worker still verifies", async () => {
    const name = unique("vault");
    const first = await create(name);
    const stored = await row(name);
    expect(stored?.secret).toMatch(/^enc:v1:/);
    for (const form of plainForms(first)) expect(JSON.stringify(stored)).not.toContain(form);
    expect(await openSecret(env, name, stored?.secret ?? "")).toBe(first);

    const second = await rotate(name, 3600);
    const rotating = await row(name);
    expect(rotating?.previous_secret).toMatch(/^enc:v1:/);
    for (const form of [...plainForms(first), ...plainForms(second)]) {
      expect(JSON.stringify(rotating)).not.toContain(form);
    }
    expect((await postSigned({ name, secret: first }, JSON.stringify(saleEvent()))).status).toBe(202);
    expect((await postSigned({ name, secret: second }, JSON.stringify(saleEvent()))).status).toBe(202);
  });

  it("a sealed secret opens only for its own source", async () => {
    const sealed = await sealSecret(env, "one", "whsec_c2VjcmV0");
    await expect(openSecret(env, "two", sealed)).rejects.toThrow(/does not open/);
    // Nor under another key.
    await expect(
      openSecret({ SECRET_KEY: btoa("another-secret-key-of-32-bytes!!") }, "one", sealed),
    ).rejects.toThrow(/does not open/);
  });

  it("the previous secret is cleared from the row once its grace period ends", async () => {
    const name = unique("grace");
    const old = await create(name);
    const fresh = await rotate(name, 0);
    expect((await postSigned({ name, secret: fresh }, JSON.stringify(saleEvent()))).status).toBe(202);
    expect((await postSigned({ name, secret: old }, JSON.stringify(saleEvent()))).status).toBe(401);
    expect(await row(name)).toMatchObject({ previous_secret: null, previous_secret_expires_at: null });
  });

  it("a row written before encryption is read, then sealed in place", async () => {
    const name = unique("legacy");
    const secret = "whsec_bGVnYWN5LXNlY3JldC1pbi10aGUtY2xlYXIhIQ==";
    await query("INSERT INTO sources (name, secret) VALUES ($1, $2)", [name, secret]);
    expect((await postSigned({ name, secret }, JSON.stringify(saleEvent()))).status).toBe(202);
    const stored = await row(name);
    expect(stored?.secret).toMatch(/^enc:v1:/);
    expect(await openSecret(env, name, stored?.secret ?? "")).toBe(secret);
  });
});

// Database round trips: generous under a loaded machine.
describe("unknown source names", { timeout: 30_000 }, () => {
  it("get the wrong-signature 401, answered from memory until the negative cache expires", async () => {
    const name = unique("ghost");
    const secret = "whsec_Z2hvc3Qtc291cmNlLXNlY3JldC1mb3ItdGVzdHM=";
    const body = JSON.stringify(saleEvent());
    const unknown = await postSigned({ name, secret }, body);
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toEqual({
      error: {
        code: "invalid_signature",
        message: "webhook-signature does not match the body with this source's secret",
      },
    });
    // The source appears in the database behind the Worker's back (no API call to tell this
    // isolate): the Worker keeps answering from memory, so it does not read the database per request.
    await query("INSERT INTO sources (name, secret) VALUES ($1, $2)", [
      name,
      await sealSecret(env, name, secret),
    ]);
    expect((await postSigned({ name, secret }, body)).status).toBe(401);
    // Once the negative entry expires, the source is read and the same request passes.
    const started = Date.now();
    const passed = await eventually(
      async () => (await postSigned({ name, secret }, JSON.stringify(saleEvent()))).status,
      (status) => status === 202,
      UNKNOWN_TTL_MS + 5_000,
    );
    expect(passed).toBe(202);
    expect(Date.now() - started).toBeLessThan(UNKNOWN_TTL_MS + 5_000);
  }, 30_000);

  it("creating a source through the API clears its negative entry at once", async () => {
    const name = unique("soon");
    expect((await postSigned({ name, secret: "whsec_c29vbg==" }, JSON.stringify(saleEvent()))).status).toBe(
      401,
    );
    const secret = await create(name);
    expect((await postSigned({ name, secret }, JSON.stringify(saleEvent()))).status).toBe(202);
  });
});

/**
 * A secret rotated away or a source deleted by another isolate: this isolate still holds the old
 * secret in its cache for a while and answers 202, as any other isolate might. What it accepted
 * is quarantined with the reason, never stored; what was signed while the secret was valid is.
 */
describe("a revoked secret stops at once, whichever isolate accepts the request", { timeout: 30_000 }, () => {
  const landed = async (saleId: string) =>
    (await query("SELECT 1 FROM silver_sales_clean WHERE sale_id = $1", [saleId])).length === 1;
  const quarantined = async (saleId: string) =>
    (
      await query<{ rule: string; reason: string }>(
        "SELECT rule, reason FROM quarantine WHERE raw_event -> 'payload' ->> 'sale_id' = $1",
        [saleId],
      )
    )[0];
  /** Posts one sale; answers its id once the consumer has either stored or quarantined it. */
  async function post(source: { name: string; secret: string }): Promise<string> {
    const sale = saleEvent();
    expect((await postSigned(source, JSON.stringify(sale))).status).toBe(202);
    const id = sale.payload.sale_id;
    await eventually(
      async () => (await landed(id)) || (await quarantined(id)) !== undefined,
      (done) => done,
      20_000,
    );
    return id;
  }
  /** Another isolate's rotation: the database changes, this isolate is not told. */
  async function rotateElsewhere(name: string, graceSeconds: number): Promise<string> {
    const secret = newWebhookSecret();
    await query(
      `UPDATE sources SET previous_secret = secret, secret = $2,
              previous_secret_expires_at = now() + make_interval(secs => $3) WHERE name = $1`,
      [name, await sealSecret(env, name, secret), graceSeconds],
    );
    return secret;
  }
  const ledger = async (name: string) => {
    const response = await admin("/api/v1/pipeline/health");
    const health = (await response.json()) as {
      sources: { name: string; accepted: number; quarantined: number; in_flight: number }[];
    };
    return health.sources.find((s) => s.name === name);
  };

  it("rotated without grace: the old secret's requests are quarantined; the new one's land", async () => {
    const name = unique("revoked");
    const old = { name, secret: await create(name) };
    expect(await landed(await post(old))).toBe(true); // cached in this isolate from here on

    const fresh = { name, secret: await rotateElsewhere(name, 0) };
    const stale = await post(old);
    expect(await landed(stale)).toBe(false);
    expect(await quarantined(stale)).toMatchObject({
      rule: "revoked_secret",
      reason: expect.stringContaining(`secret of source "${name}" that stopped being valid`),
    });
    expect(await landed(await post(fresh))).toBe(true);
    expect(await ledger(name)).toMatchObject({ accepted: 3, quarantined: 1, in_flight: 0 });
  });

  it("rotated with a grace period: the old secret still stores until it ends", async () => {
    const name = unique("graceful");
    const old = { name, secret: await create(name) };
    expect(await landed(await post(old))).toBe(true);
    await rotateElsewhere(name, 3600);
    expect(await landed(await post(old))).toBe(true);
  });

  it("deleted: its last secret's requests are quarantined", async () => {
    const name = unique("deleted");
    const source = { name, secret: await create(name) };
    expect(await landed(await post(source))).toBe(true);
    await query("DELETE FROM sources WHERE name = $1", [name]);
    const stale = await post(source);
    expect(await landed(stale)).toBe(false);
    expect((await quarantined(stale))?.rule).toBe("revoked_secret");
  });
});
