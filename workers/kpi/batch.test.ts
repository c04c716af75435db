/**
 * `GET /api/v1/batch`: the parts' answers are the individual endpoints' answers, the caller is
 * checked once for the whole batch, a bad part gets its own line without failing the others, and
 * the part count is bounded.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { TEST_VIEWER_TOKEN } from "../../test/support/tokens.ts";
import { withDb, withSharedDb } from "../db/client.ts";
import { createSource, eventually, postSigned, regionSaleBody } from "../test-support.ts";
import { MAX_PARTS } from "./batch-api.ts";
import { type Columnar, randomFutureDay, rowsOf, uniqueRegion, viewer } from "./testing/history.ts";

interface Line {
  i: number;
  path: string;
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string } };
}

/** The body as text (`text()` warns on a type it does not take for text). */
const ndjson = async (response: Response) => new TextDecoder().decode(await response.arrayBuffer());

const batchPath = (parts: string[]) =>
  `/api/v1/batch?${parts.map((p) => `get=${encodeURIComponent(p)}`).join("&")}`;

async function batch(parts: string[], headers: Record<string, string> = {}) {
  const response = await viewer(batchPath(parts), headers);
  const text = await ndjson(response);
  const lines =
    response.status === 200
      ? text
          .split("\n")
          .filter((l) => l !== "")
          .map((l) => JSON.parse(l) as Line)
      : [];
  return { response, text, lines, byIndex: [...lines].sort((a, b) => a.i - b.i) };
}

/** An answer without the moment it was computed and the whole business's freshness (other tests move them). */
function stable(body: Record<string, unknown>) {
  const { as_of: _asOf, freshness: _freshness, ...rest } = body;
  return rest;
}

describe("GET /api/v1/batch", () => {
  it("answers each part as its own endpoint does, one NDJSON line per part", async () => {
    const source = await createSource("batch");
    const region = uniqueRegion();
    const day = randomFutureDay();
    expect((await postSigned(source, regionSaleBody(region, day, 2, 21.5))).status).toBe(202);
    const range = `from=${day}&to=${day}&region=${region}`;
    const parts = [
      `/api/v1/query?metrics=revenue,orders&grain=range&compare=previous_period&${range}`,
      `/api/v1/query?metrics=revenue,orders,avg_order_value&grain=day&${range}`,
      `/api/v1/kpis/daily?${range}`,
      `/api/v1/kpis/advanced?${range}`,
      `/api/v1/breakdown?metric=revenue&by=segment&${range}`,
      "/api/v1/model",
    ];
    await eventually(
      async () => (await (await viewer(parts[0]!)).json()) as { data: unknown[][] },
      (answer) => answer.data[1]?.[0] === 1,
    );

    const { response, lines, byIndex } = await batch(parts);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    expect(response.headers.get("cache-control")).toBe("private, no-store");
    expect(lines).toHaveLength(parts.length);
    expect(byIndex.map((l) => [l.i, l.path, l.status])).toEqual(parts.map((p, i) => [i, p, 200]));
    for (const [i, path] of parts.entries()) {
      const alone = (await (await viewer(path)).json()) as Record<string, unknown>;
      expect(stable(byIndex[i]!.body)).toEqual(stable(alone));
    }
    expect(rowsOf(byIndex[0]!.body as unknown as Columnar)[0]).toMatchObject({ revenue: 43, orders: 1 });
  }, 30_000);

  it("checks the caller once for the whole batch: no part runs without it", async () => {
    const path = batchPath(["/api/v1/model", "/api/v1/kpis/summary"]);
    const anonymous = await exports.default.fetch(`http://pulse.test${path}`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await anonymous.json()).toMatchObject({ error: { code: "unauthenticated" } });

    const wrong = await exports.default.fetch(`http://pulse.test${path}`, {
      headers: { authorization: "Bearer not-the-viewer-token-at-all" },
    });
    expect(wrong.status).toBe(401);

    // A session cookie (what the dashboard sends) proves it as well as the token does.
    const session = await exports.default.fetch("http://pulse.test/api/v1/session", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: TEST_VIEWER_TOKEN }),
    });
    expect(session.status).toBe(200);
    const cookie = (session.headers.get("set-cookie") ?? "").split(";")[0]!;
    const byCookie = await exports.default.fetch(`http://pulse.test${path}`, { headers: { cookie } });
    expect(byCookie.status).toBe(200);
    const lines = (await ndjson(byCookie))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Line);
    expect(lines.map((l) => l.status)).toEqual([200, 200]);
  });

  it("gives a bad part its own status line and still answers the others", async () => {
    const good = "/api/v1/kpis/summary";
    const parts = [
      "/api/v1/query?metrics=profit", // the route's own validation
      good,
      "/api/v1/batch?get=%2Fapi%2Fv1%2Fmodel", // no batch inside a batch
      "/api/v1/pipeline/health", // not a KPI read
      "/api/v1/export.csv?report=daily", // not a JSON answer
      "/api/v1/kpis/../../admin", // normalised away from the KPI reads
      "https://example.com/api/v1/model", // not a path of this API
      "/api/v1/nowhere",
    ];
    const { response, byIndex } = await batch(parts);
    expect(response.status).toBe(200);
    expect(byIndex.map((l) => [l.status, l.body.error?.code ?? "ok"])).toEqual([
      [400, "unknown_metric"],
      [200, "ok"],
      [404, "not_batchable"],
      [404, "not_batchable"],
      [404, "not_batchable"],
      [404, "not_batchable"],
      [400, "invalid_part"],
      [404, "not_batchable"],
    ]);
    expect(byIndex[1]!.body).toMatchObject({ revenue: expect.any(Number), orders: expect.any(Number) });
    expect(byIndex[2]!.body.error?.message).toMatch(/batchable reads: \/api\/v1\/kpis\/summary/);
  });

  it(`takes 1 to ${MAX_PARTS} parts and says what to fix otherwise`, async () => {
    const none = await viewer("/api/v1/batch");
    expect(none.status).toBe(400);
    const noneBody = (await none.json()) as { error: { code: string; message: string } };
    expect(noneBody.error).toMatchObject({ code: "missing_parts" });
    expect(noneBody.error.message).toMatch(/1 to 8 KPI reads as get=<path>/);

    const nine = await viewer(batchPath(Array.from({ length: MAX_PARTS + 1 }, () => "/api/v1/model")));
    expect(nine.status).toBe(400);
    const nineBody = (await nine.json()) as { error: { code: string; message: string } };
    expect(nineBody.error).toMatchObject({ code: "too_many_parts" });
    expect(nineBody.error.message).toMatch(/at most 8 parts; this one has 9: split it/);

    const eight = await batch(Array.from({ length: MAX_PARTS }, () => "/api/v1/model"));
    expect(eight.response.status).toBe(200);
    expect(eight.lines.map((l) => l.status)).toEqual(Array(MAX_PARTS).fill(200));
  });

  it("runs its parts on one database connection, opened once and closed at the end", async () => {
    // Each part reads through `withDb`; inside the batch's scope they get the same connection (on
    // a Postgres server a separate connection is a separate backend, with a pid and a port of its own).
    const identity = () =>
      withDb(env, async (db) => {
        const { rows } = await db.query<{ pid: number; port: number | null }>(
          "SELECT pg_backend_pid() AS pid, inet_client_port() AS port",
        );
        return { db, ...rows[0]! };
      });
    const [a, b] = await withSharedDb(env, () => Promise.all([identity(), identity()]));
    expect(b.db).toBe(a.db);
    expect(b.pid).toBe(a.pid);
    expect(b.port).toBe(a.port);
    // Closed afterwards: the connection refuses queries.
    await expect(a.db.query("SELECT 1")).rejects.toThrow();
  });
});
