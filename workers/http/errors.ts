/**
 * The one error shape of the API: `{ "error": { "code", "message", "details"? } }` with the right
 * status. Handlers throw `ApiError`; `onError` renders it and hides anything unexpected (stacks,
 * SQL, secrets) behind a 500 while logging it with context.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: string;
  readonly details: unknown[] | undefined;

  constructor(status: ContentfulStatusCode, code: string, message: string, details?: unknown[]) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown[] };
}

export function errorBody(code: string, message: string, details?: unknown[]): ErrorBody {
  return { error: details ? { code, message, details } : { code, message } };
}

export function onError(err: Error, c: Context): Response {
  if (err instanceof ApiError) {
    if ("retryAfter" in err) c.header("Retry-After", String(err.retryAfter));
    return c.json(errorBody(err.code, err.message, err.details), err.status);
  }
  console.error(
    JSON.stringify({ msg: "unhandled error", path: c.req.path, error: String(err.stack ?? err) }),
  );
  return c.json(errorBody("internal", "Something went wrong on our side; the request can be retried."), 500);
}

export function notFound(c: Context): Response {
  return c.json(errorBody("not_found", `No route for ${c.req.method} ${c.req.path}.`), 404);
}
