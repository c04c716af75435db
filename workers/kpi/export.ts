/**
 * `GET /api/v1/export.csv?report=daily|advanced|query|breakdown|customers|customer_segments&…` —
 * any report as CSV (RFC 4180, header row, numbers unformatted), with the report's own parameters
 * and filters. The body is streamed: tables are written in chunks, and the underlying sales
 * (`report=breakdown&by=sale` without `limit`) are read through a database cursor, so an export of a
 * million sales never sits in memory. Same ETag as the JSON answer's data version (304 when unchanged).
 */
import type { Context } from "hono";
import { transaction, withDb } from "../db/client.ts";
import { ApiError } from "../http/errors.ts";
import { etagOf, matchesEtag, notModified } from "./cache.ts";
import { compileSales } from "./compile.ts";
import { csvChunks, csvLine } from "./csv.ts";
import { customersReport, segmentsReport } from "./customers/report.ts";
import { MODEL_VERSION } from "./model.ts";
import type { Params } from "./params.ts";
import {
  type BreakdownRequest,
  breakdownReport,
  SALE_COLUMN_TYPES,
  saleValues,
} from "./reports/breakdown.ts";
import { advancedReport, dailyReport } from "./reports/daily.ts";
import { queryReport } from "./reports/query.ts";
import { type Report, reportContext } from "./reports/report.ts";
import type { Freshness } from "./store.ts";

type Ctx = Context<{ Bindings: Env }>;

/** The most sales one export streams. */
export const EXPORT_MAX_SALES = 1_000_000;
const CURSOR_FETCH = 2_000;

// biome-ignore lint/suspicious/noExplicitAny: each report parses its own request type
const REPORTS: Record<string, Report<any>> = {
  daily: dailyReport,
  advanced: advancedReport,
  query: queryReport,
  breakdown: breakdownReport,
  customers: customersReport,
  customer_segments: segmentsReport,
};

/** CSV has no envelope: when it was computed and how current its data is travel as headers. */
function headers(name: string, query: Params, etag: string, freshness: Freshness) {
  const range = query.from && query.to ? `-${query.from}-${query.to}` : "";
  return {
    "content-type": "text/csv; charset=utf-8; header=present",
    "content-disposition": `attachment; filename="pulse-${name}${range}.csv"`,
    etag,
    "cache-control": "private, max-age=0, must-revalidate",
    "x-pulse-as-of": new Date().toISOString(),
    ...(freshness.last_change ? { "x-pulse-last-change": freshness.last_change } : {}),
    ...(freshness.last_batch_at ? { "x-pulse-last-batch-at": freshness.last_batch_at } : {}),
  };
}

export async function exportCsv(c: Ctx, query: Params): Promise<Response> {
  const { report: name, ...params } = query;
  const report = name === undefined ? undefined : REPORTS[name];
  if (!report) {
    const valid = Object.keys(REPORTS);
    throw new ApiError(
      400,
      "unknown_report",
      `${name === undefined ? "report is required" : `Unknown report "${name}"`}; valid reports: ${valid.join(", ")}.`,
      valid,
    );
  }
  const ctx = reportContext(c.env);
  const request = report.parse(params, ctx);
  const allSales =
    report === breakdownReport &&
    (request as BreakdownRequest).kind === "sales" &&
    params.limit === undefined &&
    params.offset === undefined;

  return withDb(c.env, async (db) => {
    const version = await report.version(db, request);
    const etag = await etagOf([
      "csv",
      report.name,
      JSON.stringify(request),
      String(allSales),
      version.key,
      MODEL_VERSION,
    ]);
    if (matchesEtag(c.req.header("if-none-match"), etag)) return notModified(etag);
    if (allSales) {
      return new Response(streamSales(c, request as Extract<BreakdownRequest, { kind: "sales" }>), {
        headers: headers(name!, params, etag, version.freshness),
      });
    }
    const table = await report.run(db, request, version, ctx);
    const chunks = csvChunks(
      table.columns.map((col) => col.name),
      table.data,
    );
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      },
    });
    return new Response(body, { headers: headers(name!, params, etag, version.freshness) });
  });
}

/** Every matching sale, through a cursor in one read-only snapshot, as the client reads. */
function streamSales(
  c: Ctx,
  request: Extract<BreakdownRequest, { kind: "sales" }>,
): ReadableStream<Uint8Array> {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  const encoder = new TextEncoder();
  const query = compileSales({ ...request, limit: EXPORT_MAX_SALES, offset: 0, withTotal: false });
  const names = SALE_COLUMN_TYPES.map((col) => col.name);
  const produce = withDb(c.env, (db) =>
    transaction(db, async (tx) => {
      await tx.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
      await tx.query(`DECLARE sales_export NO SCROLL CURSOR FOR ${query.text}`, query.params);
      await writer.write(encoder.encode(csvLine(names)));
      for (;;) {
        const page = await tx.query<Record<string, unknown>>(`FETCH ${CURSOR_FETCH} FROM sales_export`);
        if (page.rows.length === 0) break;
        let text = "";
        for (const row of page.rows) {
          const values = saleValues(row);
          text += csvLine(names.map((n) => values[n]));
        }
        await writer.write(encoder.encode(text));
      }
    }),
  )
    .then(() => writer.close())
    .catch(async (error: unknown) => {
      // Headers are gone already: the client sees a truncated body, the log says why.
      console.error(JSON.stringify({ msg: "sales export failed", error: String(error) }));
      await writer.abort(error).catch(() => undefined);
    });
  try {
    c.executionCtx.waitUntil(produce);
  } catch {
    // No execution context (a direct app.fetch in a test): the stream still completes as it is read.
  }
  return readable;
}
