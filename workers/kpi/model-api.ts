/**
 * The KPI read API (viewer token), every answer compiled through the semantic model:
 *
 * - `GET /api/v1/model` — the catalogue of metrics, dimensions and grains;
 * - `GET /api/v1/kpis/daily`, `/kpis/advanced` — the seed's daily and advanced KPIs, exact;
 * - `GET /api/v1/query` — metrics × grain × filters × comparison;
 * - `GET /api/v1/breakdown` — a metric by a dimension, drilling down to the sales;
 * - `GET /api/v1/customers`, `/customers/segments` — RFM and lifetime value (scheduled rebuild);
 * - `GET /api/v1/export.csv?report=…` — any of them as CSV.
 *
 * Each JSON answer is `{ columns, data, meta, as_of, freshness }` with an ETag; see `cache.ts`.
 */
import { type Context, Hono } from "hono";
import { withDb } from "../db/client.ts";
import { authDurationOf, requireRole } from "../http/auth.ts";
import { ApiError } from "../http/errors.ts";
import {
  bypassesCache,
  cacheGet,
  cachePut,
  clientHeaders,
  etagOf,
  matchesEtag,
  notModified,
} from "./cache.ts";
import { customersReport, segmentsReport } from "./customers/report.ts";
import { refreshCustomerRfm } from "./customers/store.ts";
import { exportCsv } from "./export.ts";
import { catalogue, MODEL_VERSION } from "./model.ts";
import type { Params } from "./params.ts";
import { breakdownReport } from "./reports/breakdown.ts";
import { advancedReport, dailyReport } from "./reports/daily.ts";
import { queryReport } from "./reports/query.ts";
import { type Report, reportContext } from "./reports/report.ts";

type Ctx = Context<{ Bindings: Env }>;

export const kpiApi = new Hono<{ Bindings: Env }>();

/** The query string, each parameter once (a repeated one is ambiguous, so a 400). */
export function queryOf(c: Ctx): Params {
  const all = c.req.queries();
  const repeated = Object.entries(all).filter(([, values]) => values.length > 1);
  if (repeated.length > 0) {
    throw new ApiError(400, "repeated_parameter", `Give ${repeated.map(([k]) => k).join(", ")} once.`);
  }
  return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v[0] ?? ""]));
}

function waitUntil(c: Ctx): (p: Promise<unknown>) => void {
  try {
    const ctx = c.executionCtx;
    return (p) => ctx.waitUntil(p);
  } catch {
    return () => undefined;
  }
}

/** `Server-Timing` of named durations in milliseconds (`auth;dur=0.0, db;dur=1.2, …`). */
export function serverTiming(durations: Record<string, number>): string {
  return Object.entries(durations)
    .map(([name, ms]) => `${name};dur=${ms.toFixed(1)}`)
    .join(", ");
}

/** Parse → version → 304 / edge cache / compute → JSON with ETag. */
export async function serveJson<P>(c: Ctx, report: Report<P>, query: Params = queryOf(c)): Promise<Response> {
  const ctx = reportContext(c.env);
  const request = report.parse(query, ctx);
  const t0 = performance.now();
  return withDb(c.env, async (db) => {
    const connected = performance.now();
    const version = await report.version(db, request);
    const versioned = performance.now();
    let looked = versioned;
    // Where a request's time goes (in workerd the clock advances across I/O, which is what counts):
    // authentication, the database connection, the data version, the edge-cache lookup, the report.
    const timing = (computed = looked) =>
      serverTiming({
        auth: authDurationOf(c),
        db: connected - t0,
        version: versioned - connected,
        cache: looked - versioned,
        compute: computed - looked,
      });
    const etag = await etagOf([
      report.name,
      JSON.stringify(request),
      version.key,
      MODEL_VERSION,
      ctx.timeZone,
      ctx.currency,
    ]);
    if (matchesEtag(c.req.header("if-none-match"), etag)) {
      const response = notModified(etag);
      response.headers.set("server-timing", timing());
      return response;
    }
    const bypass = bypassesCache(c.req.header("cache-control"));
    if (!bypass) {
      const hit = await cacheGet(etag);
      looked = performance.now();
      if (hit !== undefined) {
        return new Response(hit, {
          headers: { ...clientHeaders(etag, "application/json", "HIT"), "server-timing": timing() },
        });
      }
    }
    const table = await report.run(db, request, version, ctx);
    const body = JSON.stringify({ ...table, as_of: new Date().toISOString(), freshness: version.freshness });
    cachePut(waitUntil(c), etag, body, "application/json");
    const headers = clientHeaders(etag, "application/json", bypass ? "BYPASS" : "MISS");
    return new Response(body, { headers: { ...headers, "server-timing": timing(performance.now()) } });
  });
}

kpiApi.get("/api/v1/model", requireRole("viewer"), (c) => {
  const ctx = reportContext(c.env);
  c.header("Cache-Control", "private, max-age=300");
  return c.json({
    ...catalogue({ timeZone: ctx.timeZone, currency: ctx.currency }),
    as_of: new Date().toISOString(),
  });
});

kpiApi.get("/api/v1/kpis/daily", requireRole("viewer"), (c) => serveJson(c, dailyReport));
kpiApi.get("/api/v1/kpis/advanced", requireRole("viewer"), (c) => serveJson(c, advancedReport));
kpiApi.get("/api/v1/query", requireRole("viewer"), (c) => serveJson(c, queryReport));
kpiApi.get("/api/v1/breakdown", requireRole("viewer"), (c) => serveJson(c, breakdownReport));
kpiApi.get("/api/v1/customers", requireRole("viewer"), (c) => serveJson(c, customersReport));
kpiApi.get("/api/v1/customers/segments", requireRole("viewer"), (c) => serveJson(c, segmentsReport));

/** `POST /api/v1/customers/refresh` (admin) — rebuilds the customer analytics now. */
kpiApi.post("/api/v1/customers/refresh", requireRole("admin"), async (c) => {
  const ctx = reportContext(c.env);
  return c.json(await withDb(c.env, (db) => refreshCustomerRfm(db, ctx.today)));
});

kpiApi.get("/api/v1/export.csv", requireRole("viewer"), (c) => exportCsv(c, queryOf(c)));
