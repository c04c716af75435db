/**
 * The KPI API's HTTP behaviour: clear 400s that say what to send, the viewer token, and caching —
 * ETag and 304, the edge cache serving a repeat, and new data for the range changing both.
 */

import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createSource, eventually, postSigned, regionSaleBody } from "../test-support.ts";
import { type Columnar, randomFutureDay, rowsOf, uniqueRegion, viewer } from "./testing/history.ts";

async function error(path: string) {
  const response = await viewer(path);
  const body = (await response.json()) as { error: { code: string; message: string; details?: unknown[] } };
  return { status: response.status, ...body.error };
}

describe("KPI API errors", () => {
  it.each([
    [
      "/api/v1/kpis/daily?from=2026-02-30&to=2026-03-01",
      "invalid_date",
      /from must be a calendar date.*2026-02-30/,
    ],
    ["/api/v1/kpis/daily?from=26-01-01", "invalid_date", /YYYY-MM-DD/],
    ["/api/v1/kpis/daily?from=2026-03-02&to=2026-03-01", "invalid_range", /must not be after/],
    ["/api/v1/kpis/advanced?from=2000-01-01&to=2026-01-01", "range_too_large", /at most 3660/],
    [
      "/api/v1/query?metrics=revenue&grain=minute&from=2026-01-01&to=2026-01-05",
      "range_too_large",
      /minute grain allows at most 2/,
    ],
    [
      "/api/v1/query?metrics=revenue,profit",
      "unknown_metric",
      /"profit"; valid metrics: revenue, net_revenue/,
    ],
    ["/api/v1/query?metrics=revenue&grain=fortnight", "unknown_grain", /valid grains: minute, hour, day/],
    [
      "/api/v1/query?metrics=revenue&compare=last_week",
      "invalid_compare",
      /previous_period or previous_year/,
    ],
    ["/api/v1/query?grain=day", "missing_metrics", /metrics=revenue,orders/],
    [
      "/api/v1/breakdown?by=country",
      "unknown_dimension",
      /"country"; valid: region, segment, category, sales_rep, product, sale/,
    ],
    ["/api/v1/breakdown?by=region&region=EMEA", "invalid_filter", /drill to by=segment/],
    ["/api/v1/breakdown?by=region&limit=5000", "invalid_page", /limit must be an integer from 1 to 1000/],
    ["/api/v1/kpis/daily?regoin=EMEA", "unknown_parameter", /"regoin".*takes from, to, region/],
    ["/api/v1/kpis/daily?region=EMEA&region=APAC", "repeated_parameter", /region once/],
    ["/api/v1/export.csv?report=pivot", "unknown_report", /valid reports: daily, advanced, query/],
    ["/api/v1/export.csv?report=daily&from=2026-13-01", "invalid_date", /calendar date/],
    ["/api/v1/customers?segment=vip", "invalid_segment", /champions/],
  ])("GET %s → 400 %s", async (path, code, message) => {
    const e = await error(path);
    expect(e).toMatchObject({ status: 400, code });
    expect(e.message).toMatch(message);
  });

  it("lists the valid metrics in the details of an unknown one", async () => {
    const e = await error("/api/v1/breakdown?by=region&metric=profit");
    expect(e.details).toContain("gross_profit");
  });

  it("needs the viewer token", async () => {
    const response = await exports.default.fetch("http://pulse.test/api/v1/kpis/daily");
    expect(response.status).toBe(401);
  });
});

describe("KPI API caching", () => {
  it("revalidates with the ETag, serves repeats from the edge cache and changes when data lands", async () => {
    const source = await createSource("kpi-cache");
    const region = uniqueRegion();
    const day = randomFutureDay();
    const sale = (price: number) => regionSaleBody(region, day, 1, price);
    const path = `/api/v1/kpis/daily?from=${day}&to=${day}&region=${region}`;
    const read = async (headers: Record<string, string> = {}) => {
      const response = await viewer(path, headers);
      const body = response.status === 200 ? ((await response.json()) as Columnar) : undefined;
      return { response, rows: body ? rowsOf(body) : [] };
    };

    expect((await postSigned(source, sale(40))).status).toBe(202);
    // Settled (the additive sums, then the recomputed median), and read at a moment when nothing
    // else lands: the version also covers the whole business up to `to`, which the test files
    // running beside this one keep changing. A hit with the same ETag, then a 304 (a miss after
    // new data is checked below).
    const { first, again, revalidated } = await eventually(
      async () => {
        const first = await read();
        const again = await read();
        const etag = first.response.headers.get("etag") ?? "";
        return { first, again, revalidated: await viewer(path, { "if-none-match": etag }) };
      },
      ({ first, again, revalidated }) =>
        first.rows[0]?.orders === 1 &&
        first.rows[0]?.median_order_value === 40 &&
        again.response.headers.get("x-cache") === "HIT" &&
        again.response.headers.get("etag") === first.response.headers.get("etag") &&
        revalidated.status === 304,
      50_000,
    );
    expect(first.response.headers.get("cache-control")).toBe("private, max-age=0, must-revalidate");
    const etag = first.response.headers.get("etag")!;
    expect(etag).toMatch(/^W\/"[0-9a-f]{32}"$/);

    expect(again.response.headers.get("etag")).toBe(etag);
    expect(again.response.headers.get("x-cache")).toBe("HIT");
    expect(again.rows).toEqual(first.rows);

    expect(revalidated.status).toBe(304);
    expect(revalidated.headers.get("etag")).toBe(etag);

    expect((await postSigned(source, sale(60))).status).toBe(202);
    const changed = await eventually(
      read,
      (r) => r.rows[0]?.orders === 2 && r.rows[0]?.median_order_value === 50,
    );
    expect(changed.response.headers.get("etag")).not.toBe(etag);
    expect(changed.response.headers.get("x-cache")).toBe("MISS");
    expect(changed.rows[0]).toMatchObject({ total_revenue: 100, avg_order_value: 50 });
    expect((await viewer(path, { "if-none-match": etag })).status).toBe(200);
  }, 60_000);

  it("says where a request's time went in Server-Timing, computed, from the cache and revalidated", async () => {
    const path = `/api/v1/query?metrics=revenue&grain=day&region=EMEA&segment=SMB&from=2026-01-01&to=2026-01-31`;
    const names = (response: Response) =>
      (response.headers.get("server-timing") ?? "").split(", ").map((part) => {
        const [name, dur] = part.split(";dur=");
        expect(Number(dur)).toBeGreaterThanOrEqual(0);
        return name;
      });
    const all = ["auth", "db", "version", "cache", "compute"];
    const computed = await viewer(path, { "cache-control": "no-cache" });
    expect(computed.status).toBe(200);
    expect(names(computed)).toEqual(all);
    const etag = computed.headers.get("etag")!;
    // A 304, or a 200 when other tests' data moved the version meanwhile: both say the same.
    expect(names(await viewer(path, { "if-none-match": etag }))).toEqual(all);
  });
});
