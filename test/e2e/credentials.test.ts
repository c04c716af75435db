/**
 * `npm start`'s source rows (scripts/lib/credentials.ts): written encrypted with the local
 * SECRET_KEY, the way the Worker stores them, left alone when unchanged, sealed when a row from
 * before encryption holds the secret in the clear.
 */
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { newSecretKey, upsertSources } from "../../scripts/lib/credentials.ts";
import { openSecret } from "../../workers/ingest/secret-box.ts";
import { newWebhookSecret } from "../../workers/ingest/signature.ts";

const require = createRequire(import.meta.url);
const pg = require("pg") as typeof import("pg");

let db: import("pg").Pool;
beforeAll(() => {
  db = new pg.Pool({ connectionString: inject("databaseUrl"), max: 1 });
});
afterAll(async () => {
  await db?.end();
});

const stored = async (name: string) =>
  (await db.query<{ secret: string }>("SELECT secret FROM sources WHERE name = $1", [name])).rows[0]
    ?.secret ?? "";

describe("npm start's source rows", () => {
  it("are sealed with the local key, kept when unchanged, replaced when the secret changes", async () => {
    const key = newSecretKey();
    const name = `start-${crypto.randomUUID().slice(0, 8)}`;
    const secret = newWebhookSecret();
    await upsertSources(inject("databaseUrl"), { [name]: secret }, key);
    const first = await stored(name);
    expect(first).toMatch(/^enc:v1:/);
    expect(first).not.toContain(secret.slice(6, 20));
    expect(await openSecret({ SECRET_KEY: key }, name, first)).toBe(secret);

    await upsertSources(inject("databaseUrl"), { [name]: secret }, key);
    expect(await stored(name)).toBe(first);

    const next = newWebhookSecret();
    await upsertSources(inject("databaseUrl"), { [name]: next }, key);
    expect(await openSecret({ SECRET_KEY: key }, name, await stored(name))).toBe(next);
  });

  it("seal a row that holds the secret in the clear", async () => {
    const key = newSecretKey();
    const name = `start-${crypto.randomUUID().slice(0, 8)}`;
    const secret = newWebhookSecret();
    await db.query("INSERT INTO sources (name, secret) VALUES ($1, $2)", [name, secret]);
    await upsertSources(inject("databaseUrl"), { [name]: secret }, key);
    const sealed = await stored(name);
    expect(sealed).toMatch(/^enc:v1:/);
    expect(await openSecret({ SECRET_KEY: key }, name, sealed)).toBe(secret);
  });
});
