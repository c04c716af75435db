/**
 * `GET /api/v1/batch?get=<path>&get=<path>…` — several KPI reads in one request (1 to
 * `MAX_PARTS`). A dashboard's first screen needs four or five answers at once; as separate
 * requests each pays its own round trip, authentication and browser connection slot. The batch
 * checks the caller once, runs every part through that route's own handler (its validation, ETag
 * and edge cache unchanged) as an in-process sub-request carrying the identity already proved, on
 * one database connection shared by the parts (`withSharedDb`: every batchable read is read-only
 * and transaction-free), one part after another in the order asked, and streams NDJSON, one line
 * per part as soon as it is ready:
 *
 *     {"i":0,"path":"/api/v1/query?…","status":200,"body":{…}}
 *
 * `i` is the part's position in the request. A bad part (not a KPI read: 404; malformed: 400; the
 * route's own 400s) gets its own line and never fails the others.
 */
import { type Context, Hono } from "hono";
import { withSharedDb } from "../db/client.ts";
import { authOf, requireRole, vouchFor } from "../http/auth.ts";
import { ApiError, errorBody, notFound, onError } from "../http/errors.ts";
import { kpiApi } from "./model-api.ts";
import { kpis } from "./summary-api.ts";

type Ctx = Context<{ Bindings: Env }>;

export const MAX_PARTS = 8;

/** The reads a batch may carry: JSON answers for a viewer (no exports, no writes, no batch). */
export const BATCHABLE_PATHS: readonly string[] = [
  "/api/v1/kpis/summary",
  "/api/v1/kpis/daily",
  "/api/v1/kpis/advanced",
  "/api/v1/model",
  "/api/v1/query",
  "/api/v1/breakdown",
  "/api/v1/customers",
  "/api/v1/customers/segments",
];

/** The KPI read routes, on their own: a part can reach nothing else. */
const reads = new Hono<{ Bindings: Env }>();
reads.route("/", kpis);
reads.route("/", kpiApi);
reads.notFound(notFound);
reads.onError(onError);

/** Request headers a part keeps from the batch (a no-cache reload stays one). */
const FORWARDED = ["cache-control", "accept-language"];

export const batchApi = new Hono<{ Bindings: Env }>();

batchApi.get("/api/v1/batch", requireRole("viewer"), (c) => {
  const parts = c.req.queries("get") ?? [];
  if (parts.length === 0) {
    throw new ApiError(
      400,
      "missing_parts",
      `Give 1 to ${MAX_PARTS} KPI reads as get=<path>, e.g. /api/v1/batch?get=${encodeURIComponent("/api/v1/kpis/summary")}.`,
    );
  }
  if (parts.length > MAX_PARTS) {
    throw new ApiError(
      400,
      "too_many_parts",
      `A batch takes at most ${MAX_PARTS} parts; this one has ${parts.length}: split it into several batches.`,
    );
  }
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      // One database connection for the whole batch (each part would otherwise open its own), and
      // the parts one after another in the order asked: on one connection their queries take turns
      // anyway, and interleaved, the first part (what a page shows first) would wait behind every
      // other part's first query.
      await withSharedDb(c.env, async () => {
        for (const [i, path] of parts.entries()) {
          const { status, json } = await answerOf(c, path);
          const line = `{"i":${i},"path":${JSON.stringify(path)},"status":${status},"body":${json}}\n`;
          controller.enqueue(encoder.encode(line));
        }
      });
      controller.close();
    },
  });
  return new Response(body, {
    headers: {
      "content-type": "application/x-ndjson; charset=utf-8",
      // Each part has its own ETag and edge cache; the batch itself is one person's view.
      "cache-control": "private, no-store",
    },
  });
});

/** A part's status and JSON body (the route's own, or an error of the API's one shape). */
async function answerOf(c: Ctx, path: string): Promise<{ status: number; json: string }> {
  const refused = (status: number, code: string, message: string) => ({
    status,
    json: JSON.stringify(errorBody(code, message)),
  });
  const base = new URL(c.req.url);
  let url: URL;
  try {
    if (!path.startsWith("/") || path.startsWith("//")) throw new TypeError("not a path");
    url = new URL(path, base);
  } catch {
    return refused(
      400,
      "invalid_part",
      `"${path}" is not a path; give one such as /api/v1/query?metrics=revenue.`,
    );
  }
  if (!BATCHABLE_PATHS.includes(url.pathname)) {
    return refused(
      404,
      "not_batchable",
      `${url.pathname} can't be part of a batch; batchable reads: ${BATCHABLE_PATHS.join(", ")}.`,
    );
  }
  const headers = new Headers();
  for (const name of FORWARDED) {
    const value = c.req.header(name);
    if (value) headers.set(name, value);
  }
  const request = new Request(url, { headers });
  const auth = authOf(c);
  if (auth) vouchFor(request, auth);
  try {
    const response = await reads.fetch(request, c.env, executionContextOf(c));
    const text = await response.text();
    const json = response.headers.get("content-type")?.includes("json") && text ? text : JSON.stringify(text);
    return { status: response.status, json };
  } catch (error) {
    console.error(JSON.stringify({ msg: "batch part failed", path: url.pathname, error: String(error) }));
    return refused(500, "internal", "Something went wrong on our side; the part can be retried.");
  }
}

function executionContextOf(c: Ctx): ExecutionContext | undefined {
  try {
    return c.executionCtx as ExecutionContext;
  } catch {
    return undefined;
  }
}
