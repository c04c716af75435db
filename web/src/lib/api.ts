/**
 * The dashboard's HTTP calls. Same origin, so the HttpOnly session cookie authenticates them; the
 * page never holds a token beyond the moment it exchanges one for that cookie.
 *
 * Responses are parsed, never cast. The WebSocket frames have their schemas in the shared protocol
 * module; these HTTP payloads are described here until they join it. `zod/mini` (functional API,
 * tree-shakable) keeps the schemas from costing the page ~20 kB of gzip that classic zod would.
 */
import * as z from "zod/mini";
import { afterFirstScreen } from "./first-screen.ts";

const role = z.enum(["viewer", "admin"]);
export type Role = z.infer<typeof role>;

const sessionBody = z.object({ role });

const summaryBody = z.object({
  date: z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/)),
  revenue: z.number(),
  net_revenue: z.number(),
  orders: z.int(),
  quantity: z.int(),
  as_of: z.string(),
  last_change: z.nullable(z.string()),
});
export type Summary = z.infer<typeof summaryBody>;

const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** A failed call: `status` 0 means the network (or the response body) failed, not the server. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }

  get unauthorized(): boolean {
    return this.status === 401;
  }
}

/** A request to the API, its answer parsed with `schema`; errors become `ApiError`s that say what to do. */
export async function call<T>(path: string, schema: z.ZodMiniType<T>, init: RequestInit = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { credentials: "same-origin", ...init });
  } catch (error) {
    if (init.signal?.aborted) throw error;
    throw new ApiError(0, "network", "Pulse can't reach its server. Check your connection.");
  }
  const body: unknown = response.status === 204 ? null : await response.json().catch(() => undefined);
  if (!response.ok) throw errorOf(response.status, body);
  return parsedAs(schema, body, path);
}

/** The `ApiError` of a failed answer (the API's error shape, or just its status). */
function errorOf(status: number, body: unknown): ApiError {
  const parsed = z.safeParse(errorBody, body);
  return parsed.success
    ? new ApiError(status, parsed.data.error.code, parsed.data.error.message)
    : new ApiError(status, "http_error", `The server answered ${status}.`);
}

function parsedAs<T>(schema: z.ZodMiniType<T>, body: unknown, path: string): T {
  const parsed = z.safeParse(schema, body);
  if (!parsed.success) {
    throw new ApiError(0, "invalid_response", `Unexpected response from ${path}.`);
  }
  return parsed.data;
}

/** Today's figures before the live socket has them; after the first screen (the tiles come first). */
export function fetchSummary(signal?: AbortSignal): Promise<Summary> {
  return afterFirstScreen().then(() =>
    call("/api/v1/kpis/summary", summaryBody, { signal, cache: "no-store" }),
  );
}

/** The current session's role; rejects with `unauthorized` when there is none. */
export function fetchSession(signal?: AbortSignal): Promise<Role> {
  return call("/api/v1/session", sessionBody, { signal, cache: "no-store" }).then((s) => s.role);
}

/** Exchanges a token for the session cookie. */
export function signIn(token: string): Promise<Role> {
  return call("/api/v1/session", sessionBody, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token }),
  }).then((s) => s.role);
}

export function signOut(): Promise<null> {
  return call("/api/v1/session", z.null(), { method: "DELETE" });
}

const freshness = z.object({
  last_batch_at: z.nullable(z.string()),
  pipeline_lag_ms: z.nullable(z.number()),
  last_change: z.nullable(z.string()),
  pending_recompute: z.number(),
  /** Slices read whose distinct counts and percentiles are being recomputed (null in the answer). */
  pending: z.optional(z.array(z.object({ dim: z.string(), member: z.string(), day: z.string() }))),
});
export type Freshness = z.infer<typeof freshness>;

/** The KPI API's one answer shape: named columns, column-major data, meta, and how fresh it is. */
const answerBody = z.object({
  columns: z.array(z.object({ name: z.string(), type: z.string(), unit: z.optional(z.string()) })),
  data: z.array(z.array(z.unknown())),
  meta: z.record(z.string(), z.unknown()),
  as_of: z.string(),
  freshness,
});
export type Answer = z.infer<typeof answerBody>;

/** A KPI API path with its query string (parameters in the order given). */
export function apiUrl(path: string, params: Record<string, string>): string {
  const query = new URLSearchParams(params).toString();
  return query ? `${path}?${query}` : path;
}

/** GET a columnar KPI answer. The browser revalidates it with the server's ETag (304s are cheap). */
export function fetchAnswer(url: string, signal?: AbortSignal): Promise<Answer> {
  return call(url, answerBody, { signal });
}

const batchLine = z.object({ i: z.int(), path: z.string(), status: z.int(), body: z.unknown() });

/**
 * Several columnar answers in one request (`GET /api/v1/batch`, at most 8): each URL's promise
 * settles as soon as its NDJSON line arrives, with the answer or the part's own error. `ready`
 * holds the request back until it resolves (a sign-in first); if it rejects, so does every part.
 */
export function fetchAnswers(urls: readonly string[], ready: Promise<unknown> = Promise.resolve()) {
  const parts = [...new Set(urls)];
  const settle = parts.map(() => {
    let resolve!: (answer: Answer) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<Answer>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Nobody may ask for a part (another view on screen by then): its failure is no one's error.
    promise.catch(() => undefined);
    return { promise, resolve, reject };
  });
  const line = (text: string) => {
    const parsed = z.safeParse(batchLine, JSON.parse(text));
    const part = parsed.success ? settle[parsed.data.i] : undefined;
    if (!parsed.success || !part) return;
    const { status, body, path } = parsed.data;
    if (status === 200) {
      try {
        part.resolve(parsedAs(answerBody, body, path));
      } catch (error) {
        part.reject(error);
      }
    } else part.reject(errorOf(status, body));
  };
  const run = async () => {
    await ready;
    const query = new URLSearchParams(parts.map((url) => ["get", url])).toString();
    let response: Response;
    try {
      response = await fetch(`/api/v1/batch?${query}`, { credentials: "same-origin" });
    } catch {
      throw new ApiError(0, "network", "Pulse can't reach its server. Check your connection.");
    }
    if (!response.ok || !response.body) {
      throw errorOf(response.status, await response.json().catch(() => undefined));
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffered += value;
      for (let end = buffered.indexOf("\n"); end >= 0; end = buffered.indexOf("\n")) {
        line(buffered.slice(0, end));
        buffered = buffered.slice(end + 1);
      }
    }
    if (buffered.trim()) line(buffered);
    throw new ApiError(0, "network", "The server's answer ended early. Reload the page.");
  };
  // Parts already settled ignore the rejection; the others fail with the request.
  run().catch((error: unknown) => {
    for (const part of settle) part.reject(error);
  });
  return new Map(parts.map((url, i) => [url, settle[i]!.promise]));
}

/** A column's values by name; empty when the answer has no such column. */
export function column<T = unknown>(answer: Answer, name: string): T[] {
  const i = answer.columns.findIndex((c) => c.name === name);
  return i < 0 ? [] : ((answer.data[i] ?? []) as T[]);
}

const count = z.number();
const healthBody = z.object({
  as_of: z.string(),
  last_batch_at: z.nullable(z.string()),
  last_batch_events: z._default(z.number(), 0),
  lag_ms: z.nullable(z.number()),
  dirty_slices: z.number(),
  totals: z.object({ quarantined: count, unmapped: count, dead_lettered: count }),
  sources: z.array(
    z.object({
      name: z.string(),
      last_seen_at: z.nullable(z.string()),
      accepted: count,
      processed: count,
      duplicates: count,
      quarantined: count,
      unmapped: count,
      dead_lettered: count,
      in_flight: count,
    }),
  ),
});
export type Health = z.infer<typeof healthBody>;

/**
 * Whether history is being loaded (a bulk load: batches of thousands of events, and the day
 * slices it touched still to recompute), so the page can say why its figures are still growing.
 */
export function loadingHistory(health: Health | null): boolean {
  if (!health) return false;
  const sinceBatch = health.last_batch_at
    ? Date.parse(health.as_of) - Date.parse(health.last_batch_at)
    : Infinity;
  return health.dirty_slices >= 100 || (health.last_batch_events >= 1_000 && sinceBatch < 20_000);
}

export function fetchHealth(signal?: AbortSignal): Promise<Health> {
  return afterFirstScreen().then(() =>
    call("/api/v1/pipeline/health", healthBody, { signal, cache: "no-store" }),
  );
}

/** Admin: closes every dashboard socket as a deploy would; they reconnect and resync. */
export function reconnectDashboards(): Promise<unknown> {
  return call("/api/v1/live/reconnect", z.unknown(), { method: "POST" });
}
