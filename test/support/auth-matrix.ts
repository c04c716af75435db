/**
 * Every endpoint of the API with the access it needs, and the status each kind of caller gets —
 * the table the README documents and the auth-matrix test checks against a running Worker. A test
 * in the Worker checks this list against the app's routes, so a new endpoint cannot go unlisted.
 *
 * `sample` is the request the matrix sends: chosen so that, once authenticated, the endpoint answers
 * `ok` without changing anything another test relies on (unknown names, bodies it rejects).
 */

export type Access = "public" | "viewer" | "admin" | "signed";

export interface Endpoint {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** The route as registered (Hono syntax). */
  route: string;
  access: Access;
  sample: { path: string; body?: string };
  /** What an authorised caller gets for `sample`. */
  ok: number;
}

export const ENDPOINTS: Endpoint[] = [
  { method: "GET", route: "/api/v1/health", access: "public", sample: { path: "/api/v1/health" }, ok: 200 },
  {
    method: "POST",
    route: "/api/v1/session",
    access: "public",
    sample: { path: "/api/v1/session", body: "{}" },
    ok: 400,
  },
  { method: "GET", route: "/api/v1/session", access: "viewer", sample: { path: "/api/v1/session" }, ok: 200 },
  {
    method: "DELETE",
    route: "/api/v1/session",
    access: "public",
    sample: { path: "/api/v1/session" },
    ok: 204,
  },
  {
    method: "POST",
    route: "/api/v1/cdc/:source",
    access: "signed",
    sample: { path: "/api/v1/cdc/matrix-source", body: "[]" },
    ok: 202,
  },
  {
    method: "POST",
    route: "/api/v1/cdc/:source/bulk",
    access: "signed",
    sample: { path: "/api/v1/cdc/matrix-source/bulk", body: "[]" },
    ok: 200,
  },
  {
    method: "POST",
    route: "/api/v1/cdc/:source/bulk/finish",
    access: "admin",
    sample: { path: "/api/v1/cdc/matrix-source/bulk/finish" },
    ok: 200,
  },
  {
    method: "GET",
    route: "/api/v1/kpis/summary",
    access: "viewer",
    sample: { path: "/api/v1/kpis/summary" },
    ok: 200,
  },
  { method: "GET", route: "/api/v1/model", access: "viewer", sample: { path: "/api/v1/model" }, ok: 200 },
  {
    method: "GET",
    route: "/api/v1/kpis/daily",
    access: "viewer",
    sample: { path: "/api/v1/kpis/daily?from=bad" },
    ok: 400,
  },
  {
    method: "GET",
    route: "/api/v1/kpis/advanced",
    access: "viewer",
    sample: { path: "/api/v1/kpis/advanced?from=bad" },
    ok: 400,
  },
  { method: "GET", route: "/api/v1/query", access: "viewer", sample: { path: "/api/v1/query" }, ok: 400 },
  {
    method: "GET",
    route: "/api/v1/breakdown",
    access: "viewer",
    sample: { path: "/api/v1/breakdown?by=country" },
    ok: 400,
  },
  {
    method: "GET",
    route: "/api/v1/customers",
    access: "viewer",
    sample: { path: "/api/v1/customers?segment=vip" },
    ok: 400,
  },
  {
    method: "GET",
    route: "/api/v1/batch",
    access: "viewer",
    sample: { path: "/api/v1/batch" },
    ok: 400,
  },
  {
    method: "GET",
    route: "/api/v1/customers/segments",
    access: "viewer",
    sample: { path: "/api/v1/customers/segments?regoin=x" },
    ok: 400,
  },
  {
    method: "POST",
    route: "/api/v1/customers/refresh",
    access: "admin",
    sample: { path: "/api/v1/customers/refresh" },
    ok: 200,
  },
  {
    method: "GET",
    route: "/api/v1/export.csv",
    access: "viewer",
    sample: { path: "/api/v1/export.csv?report=pivot" },
    ok: 400,
  },
  { method: "GET", route: "/api/v1/live", access: "viewer", sample: { path: "/api/v1/live" }, ok: 426 },
  {
    method: "GET",
    route: "/api/v1/live/status",
    access: "viewer",
    sample: { path: "/api/v1/live/status" },
    ok: 200,
  },
  {
    method: "POST",
    route: "/api/v1/live/reconnect",
    access: "admin",
    sample: { path: "/api/v1/live/reconnect" },
    ok: 200,
  },
  {
    method: "GET",
    route: "/api/v1/pipeline/health",
    access: "viewer",
    sample: { path: "/api/v1/pipeline/health" },
    ok: 200,
  },
  {
    method: "GET",
    route: "/api/v1/pipeline/quarantine",
    access: "admin",
    sample: { path: "/api/v1/pipeline/quarantine" },
    ok: 200,
  },
  { method: "GET", route: "/api/v1/sources", access: "admin", sample: { path: "/api/v1/sources" }, ok: 200 },
  {
    method: "GET",
    route: "/api/v1/sources/:name",
    access: "admin",
    sample: { path: "/api/v1/sources/matrix-nowhere" },
    ok: 404,
  },
  {
    method: "PUT",
    route: "/api/v1/sources/:name",
    access: "admin",
    sample: { path: "/api/v1/sources/matrix-nowhere", body: '{"rotate": "yes"}' },
    ok: 422,
  },
  {
    method: "DELETE",
    route: "/api/v1/sources/:name",
    access: "admin",
    sample: { path: "/api/v1/sources/matrix-nowhere" },
    ok: 404,
  },
  {
    method: "PUT",
    route: "/api/v1/sources/:name/mappings/:table",
    access: "admin",
    sample: { path: "/api/v1/sources/matrix-nowhere/mappings/t", body: "{}" },
    ok: 422,
  },
  {
    method: "DELETE",
    route: "/api/v1/sources/:name/mappings/:table",
    access: "admin",
    sample: { path: "/api/v1/sources/matrix-nowhere/mappings/t" },
    ok: 404,
  },
  {
    method: "POST",
    route: "/api/v1/sources/:name/replay",
    access: "admin",
    sample: { path: "/api/v1/sources/matrix-nowhere/replay?status=bad" },
    ok: 400,
  },
  { method: "GET", route: "/api/v1/alerts", access: "viewer", sample: { path: "/api/v1/alerts" }, ok: 200 },
  {
    method: "POST",
    route: "/api/v1/alerts/:alertId/ack",
    access: "viewer",
    sample: { path: "/api/v1/alerts/matrix-nowhere/ack" },
    ok: 404,
  },
  {
    method: "GET",
    route: "/api/v1/alerts/rules",
    access: "admin",
    sample: { path: "/api/v1/alerts/rules" },
    ok: 200,
  },
  {
    method: "GET",
    route: "/api/v1/alerts/rules/:id",
    access: "admin",
    sample: { path: "/api/v1/alerts/rules/matrix-nowhere" },
    ok: 404,
  },
  {
    method: "PUT",
    route: "/api/v1/alerts/rules/:id",
    access: "admin",
    sample: { path: "/api/v1/alerts/rules/matrix-nowhere", body: "{}" },
    ok: 400,
  },
  {
    method: "DELETE",
    route: "/api/v1/alerts/rules/:id",
    access: "admin",
    sample: { path: "/api/v1/alerts/rules/matrix-nowhere" },
    ok: 404,
  },
  {
    method: "POST",
    route: "/api/v1/alerts/rules/:id/preview",
    access: "admin",
    sample: { path: "/api/v1/alerts/rules/matrix-nowhere/preview" },
    ok: 404,
  },
  {
    method: "GET",
    route: "/api/v1/alerts/channels",
    access: "admin",
    sample: { path: "/api/v1/alerts/channels" },
    ok: 200,
  },
  {
    method: "PUT",
    route: "/api/v1/alerts/channels/:id",
    access: "admin",
    sample: { path: "/api/v1/alerts/channels/matrix-nowhere", body: "{}" },
    ok: 400,
  },
  {
    method: "DELETE",
    route: "/api/v1/alerts/channels/:id",
    access: "admin",
    sample: { path: "/api/v1/alerts/channels/matrix-nowhere" },
    ok: 404,
  },
  {
    method: "POST",
    route: "/api/v1/alerts/channels/:id/test",
    access: "admin",
    sample: { path: "/api/v1/alerts/channels/matrix-nowhere/test" },
    ok: 404,
  },
  {
    method: "GET",
    route: "/api/v1/alerts/deliveries",
    access: "admin",
    sample: { path: "/api/v1/alerts/deliveries" },
    ok: 200,
  },
  {
    method: "GET",
    route: "/api/v1/pipeline/dead-letters",
    access: "admin",
    sample: { path: "/api/v1/pipeline/dead-letters?source=matrix-nowhere" },
    ok: 200,
  },
  {
    method: "POST",
    route: "/api/v1/pipeline/dead-letters/replay",
    access: "admin",
    sample: { path: "/api/v1/pipeline/dead-letters/replay?source=matrix-nowhere" },
    ok: 200,
  },
  {
    method: "POST",
    route: "/api/v1/ask",
    access: "viewer",
    sample: { path: "/api/v1/ask", body: "{}" },
    ok: 400,
  },
  {
    method: "GET",
    route: "/api/v1/insights/daily",
    access: "viewer",
    sample: { path: "/api/v1/insights/daily?date=bad" },
    ok: 400,
  },
  {
    method: "GET",
    route: "/api/v1/insights/subscriptions",
    access: "viewer",
    sample: { path: "/api/v1/insights/subscriptions" },
    ok: 200,
  },
  {
    method: "GET",
    route: "/api/v1/insights/subscriptions/:id",
    access: "viewer",
    sample: { path: "/api/v1/insights/subscriptions/matrix-nowhere" },
    ok: 404,
  },
  {
    method: "PUT",
    route: "/api/v1/insights/subscriptions/:id",
    access: "viewer",
    sample: { path: "/api/v1/insights/subscriptions/matrix-nowhere", body: "{}" },
    ok: 400,
  },
  {
    method: "DELETE",
    route: "/api/v1/insights/subscriptions/:id",
    access: "viewer",
    sample: { path: "/api/v1/insights/subscriptions/matrix-nowhere" },
    ok: 404,
  },
];

export const CALLERS = [
  "no token",
  "viewer",
  "admin",
  "wrong source secret",
  "expired session",
  "revoked session",
  "cross-origin admin cookie",
] as const;
export type Caller = (typeof CALLERS)[number];

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * The documented status for `caller` on `endpoint`; "ok" means the endpoint's own answer (`ok`).
 * - Signed endpoints take no token: only a valid signature of an existing source passes.
 * - Cookies are the dashboard's: an expired or revoked one is refused like no credential, and a
 *   cookie-authenticated change from another origin is refused with 403 whatever the role.
 */
export function expected(endpoint: Endpoint, caller: Caller): number | "ok" {
  const { access, method } = endpoint;
  if (access === "signed") return 401;
  if (caller === "cross-origin admin cookie") return SAFE.has(method) ? "ok" : 403;
  if (access === "public") return "ok";
  switch (caller) {
    case "no token":
    case "wrong source secret":
    case "expired session":
    case "revoked session":
      return 401;
    case "viewer":
      return access === "admin" ? 403 : "ok";
    case "admin":
      return "ok";
  }
}

/** The README's table (between its auth-matrix markers), rendered from the list above. */
export function markdownTable(): string {
  const head = `| Endpoint | Access | ${CALLERS.join(" | ")} |`;
  const rule = `|${" --- |".repeat(CALLERS.length + 2)}`;
  const rows = ENDPOINTS.map((e) => {
    const cells = CALLERS.map((caller) => {
      const status = expected(e, caller);
      return status === "ok" ? "✓" : String(status);
    });
    return `| \`${e.method} ${e.route}\` | ${e.access} | ${cells.join(" | ")} |`;
  });
  return [head, rule, ...rows].join("\n");
}
