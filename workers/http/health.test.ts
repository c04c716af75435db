/** `GET /api/v1/health`: the database, the queue consumer and the live room, and 503 when the database is down. */
import { env, exports } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { health } from "./health.ts";

interface Health {
  status: string;
  database: { ok: boolean; latency_ms?: number; error?: string };
  queue: { last_batch_at: string | null; lag_ms: number | null } | null;
  room: { ok: boolean; seq?: number; sockets?: number };
}

describe("GET /api/v1/health", () => {
  it("reports the database, the queue consumer and the live room", async () => {
    const response = await exports.default.fetch("http://pulse.test/api/v1/health");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = (await response.json()) as Health;
    expect(body.status).toBe("ok");
    expect(body.database).toMatchObject({ ok: true, latency_ms: expect.any(Number) });
    expect(body.queue).toHaveProperty("lag_ms");
    expect(body.queue).toHaveProperty("last_batch_at");
    expect(body.room).toMatchObject({ ok: true, seq: expect.any(Number), sockets: expect.any(Number) });
  }, 20_000);

  it("answers 503 with the failing part when the database is unreachable", async () => {
    const app = new Hono<{ Bindings: Env }>().get("/health", health);
    const response = await app.request(
      "/health",
      {},
      { ...env, DATABASE_URL: "postgres://nobody:nothing@127.0.0.1:9/none" },
    );
    expect(response.status).toBe(503);
    const body = (await response.json()) as Health;
    expect(body).toMatchObject({ status: "down", database: { ok: false }, queue: null });
    expect(JSON.stringify(body)).not.toContain("nothing"); // no connection string in the answer
  }, 20_000);
});
