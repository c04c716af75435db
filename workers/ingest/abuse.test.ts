/**
 * Abuse limits against the Workers rate-limiting binding and the replay guard (the test Worker's
 * limits are small: 50 requests per IP and 50 verified webhook requests per source per 10 s):
 * 429 with Retry-After per IP and per source, unsigned floods not spending a source's allowance,
 * and a replayed webhook (same id and timestamp) refused while a re-signed retry passes.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createSource, postSigned } from "../test-support.ts";
import { signedHeaders } from "./signature.ts";

const randomIp = () => `198.51.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;

/** Sends until the first 429 (at most `max` requests), returning it and how many passed before. */
async function untilLimited(send: () => Promise<Response>, max: number, status: number) {
  let passed = 0;
  for (let i = 0; i < max; i++) {
    const response = await send();
    if (response.status === 429) return { response, passed };
    expect(response.status).toBe(status);
    await response.body?.cancel();
    passed++;
  }
  return { response: undefined, passed };
}

describe("rate limits", () => {
  it("per IP over the API: 429 with Retry-After past the limit; another IP is not affected", async () => {
    const ip = randomIp();
    // Unauthenticated calls: the limit comes before anything else, so they count too (and cost
    // the test no database round trip).
    const call = (from: string) =>
      exports.default.fetch("http://pulse.test/api/v1/kpis/summary", {
        headers: { "cf-connecting-ip": from },
      });
    // Two windows' worth and one: the counter may reset once in between.
    const { response, passed } = await untilLimited(() => call(ip), 101, 401);
    expect(response?.status).toBe(429);
    expect(passed).toBeGreaterThanOrEqual(50);
    expect(response?.headers.get("retry-after")).toBe("10");
    expect(await response?.json()).toMatchObject({ error: { code: "rate_limited" } });
    expect((await call(randomIp())).status).toBe(401);
  }, 30_000);

  it("per source on verified webhooks: 429 with Retry-After; unsigned floods do not spend the allowance", async () => {
    const source = await createSource("limit");
    const other = await createSource("limit");
    // More requests with a wrong signature than the limit: refused before they count against it.
    for (let i = 0; i < 75; i++) {
      const wrong = await postSigned({ name: source.name, secret: other.secret }, "[]");
      expect(wrong.status).toBe(401);
    }
    expect((await postSigned(source, "[]")).status).toBe(202);
    const { response, passed } = await untilLimited(() => postSigned(source, "[]"), 101, 202);
    expect(response?.status).toBe(429);
    expect(passed).toBeGreaterThanOrEqual(49);
    expect(response?.headers.get("retry-after")).toBe("10");
    expect(await response?.json()).toMatchObject({ error: { code: "rate_limited" } });
    expect((await postSigned(other, "[]")).status).toBe(202);
  }, 60_000);
});

// Database round trips: generous under a loaded machine.
describe("replayed webhooks", { timeout: 30_000 }, () => {
  it("the same signed request again is refused (409); the sender's re-signed retry passes", async () => {
    const source = await createSource("replay");
    const body = "[]";
    const headers = signedHeaders(source.secret, body);
    const first = await postSigned(source, body, headers);
    expect(first.status).toBe(202);
    const replay = await postSigned(source, body, headers);
    expect(replay.status).toBe(409);
    expect(await replay.json()).toMatchObject({ error: { code: "replayed_webhook" } });
    // A retry keeps the webhook-id and is signed at a new time.
    const later = new Date(Number(headers["webhook-timestamp"]) * 1000 + 2_000);
    const retry = await postSigned(
      source,
      body,
      signedHeaders(source.secret, body, headers["webhook-id"], later),
    );
    expect(retry.status).toBe(202);
    // The pair belongs to its source: another source may use the same id and time.
    const other = await createSource("replay");
    const at = new Date(Number(headers["webhook-timestamp"]) * 1000);
    expect(
      (await postSigned(other, body, signedHeaders(other.secret, body, headers["webhook-id"], at))).status,
    ).toBe(202);
  });

  it("a replay with a wrong signature is a 401, and does not burn the id", async () => {
    const source = await createSource("replay");
    const body = "[]";
    const headers = signedHeaders(source.secret, body);
    const forged = {
      ...headers,
      "webhook-signature":
        signedHeaders(source.secret, "other", headers["webhook-id"])["webhook-signature"] ?? "",
    };
    expect((await postSigned(source, body, forged)).status).toBe(401);
    expect((await postSigned(source, body, headers)).status).toBe(202);
  });
});
