/**
 * The part every signed ingest endpoint shares: find the source, enforce the size limits, verify
 * the Standard Webhooks signature, split the body and validate each event. Returns the accepted
 * events (deduplicated within the request, each with its checksum) and the rejected ones.
 */
import type { Context } from "hono";
import { ApiError } from "../http/errors.ts";
import { eventChecksum } from "./checksum.ts";
import { BodyError, type Change, identityOf, parseEvent, splitBody } from "./events.ts";
import { guardVerifiedWebhook } from "./guard.ts";
import { verifySignature } from "./signature.ts";
import { findSource, unknownSourceSecrets } from "./sources.ts";
import { inspectEvent } from "./storable.ts";

export interface Limits {
  maxBytes: number;
  maxEvents: number;
}

export interface SignedEvents {
  source: string;
  /** The key of the secret that verified the request (see sources.ts). */
  key: string;
  accepted: { checksum: string; raw: unknown; change: Change }[];
  rejected: { raw: unknown; rule: string; reasons: string[] }[];
  errors: { index: number; rule: string; reasons: string[] }[];
  repeated: number;
}

function tooLarge(bytes: number, limits: Limits, qualifier = ""): ApiError {
  return new ApiError(
    413,
    "body_too_large",
    `The body is ${qualifier}${bytes} bytes; send at most ${limits.maxBytes} bytes (${limits.maxEvents} events) per request.`,
  );
}

/**
 * Events validated between two turns of the event loop. A large body in one piece would hold up
 * everything else the isolate serves meanwhile (other requests, a queue
 * batch waiting on its database replies).
 */
const YIELD_EVERY = 25;

/**
 * Reads the body, counting bytes as they arrive: a chunked body (no `Content-Length`) is cut off
 * as soon as it passes the limit, never buffered whole. The text must be valid UTF-8.
 */
export async function readBody(request: Request, limits: Limits): Promise<string> {
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (bytes > limits.maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(bytes, limits, "at least ");
      }
      chunks.push(value);
    }
  }
  const whole = new Uint8Array(bytes);
  let at = 0;
  for (const chunk of chunks) {
    whole.set(chunk, at);
    at += chunk.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(whole);
  } catch {
    throw new ApiError(400, "invalid_utf8", "The body is not valid UTF-8; send JSON encoded as UTF-8.");
  }
}

/** The source's secrets; a database that cannot be reached is a 503 (send again), never a 500. */
async function lookUpSource(env: Env, name: string, options: { fresh?: boolean } = {}) {
  try {
    return await findSource(env, name, options);
  } catch (error) {
    console.error(JSON.stringify({ msg: "source lookup failed", source: name, error: String(error) }));
    throw new ApiError(
      503,
      "database_unavailable",
      "The source's secret cannot be read right now; nothing was accepted. Send the request again shortly.",
    );
  }
}

/**
 * `fresh`: read the source's secrets from the database, not this isolate's cache — for requests
 * whose events are stored without passing the queue's consumer (bulk loads), which is where a
 * revoked secret is caught otherwise.
 */
export async function readSignedEvents(
  c: Context<{ Bindings: Env }>,
  limits: Limits,
  options: { fresh?: boolean } = {},
): Promise<SignedEvents> {
  const name = c.req.param("source") ?? "";
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > limits.maxBytes) throw tooLarge(declared, limits);

  // An unknown name is verified against a secret nobody has: the same 401 as a wrong signature,
  // so answers do not tell which source names exist.
  let { source, cached } = await lookUpSource(c.env, name, options);

  const body = await readBody(c.req.raw, limits);

  const headers = {
    "webhook-id": c.req.header("webhook-id") ?? "",
    "webhook-timestamp": c.req.header("webhook-timestamp") ?? "",
    "webhook-signature": c.req.header("webhook-signature") ?? "",
  };
  let verified = verifySignature(source?.secrets ?? unknownSourceSecrets(), body, headers);
  if (!verified.ok && cached && source) {
    ({ source, cached } = await lookUpSource(c.env, name, { fresh: true }));
    if (source) verified = verifySignature(source.secrets, body, headers);
  }
  if (!verified.ok || !source) {
    throw new ApiError(
      401,
      "invalid_signature",
      verified.ok ? "webhook-signature does not match the body with this source's secret" : verified.reason,
    );
  }
  await guardVerifiedWebhook(c, name, headers);

  let raws: unknown[];
  try {
    raws = splitBody(body);
  } catch (error) {
    if (error instanceof BodyError) throw new ApiError(400, error.code, error.message);
    throw error;
  }
  if (raws.length > limits.maxEvents) {
    throw new ApiError(
      413,
      "too_many_events",
      `${raws.length} events in one request; send at most ${limits.maxEvents} per request.`,
    );
  }

  const key = source.keys[verified.index] ?? "";
  const result: SignedEvents = { source: name, key, accepted: [], rejected: [], errors: [], repeated: 0 };
  const seen = new Set<string>();
  for (const [index, raw] of raws.entries()) {
    if (index > 0 && index % YIELD_EVERY === 0) await scheduler.wait(0);
    const storable = inspectEvent(raw);
    if (!storable.ok) {
      result.rejected.push({ raw: storable.stored, rule: storable.rule, reasons: storable.reasons });
      result.errors.push({ index, rule: storable.rule, reasons: storable.reasons });
      continue;
    }
    const parsed = parseEvent(raw);
    if (!parsed.ok) {
      result.rejected.push({ raw, rule: parsed.rule, reasons: parsed.reasons });
      result.errors.push({ index, rule: parsed.rule, reasons: parsed.reasons });
      continue;
    }
    const checksum = eventChecksum(name, identityOf(parsed.change));
    if (seen.has(checksum)) {
      result.repeated++;
      continue;
    }
    seen.add(checksum);
    result.accepted.push({ checksum, raw, change: parsed.change });
  }
  return result;
}

/** 422 when nothing in the request was valid (the events are still kept in quarantine). */
export function assertSomethingValid(events: SignedEvents): void {
  if (events.accepted.length === 0 && events.rejected.length > 0) {
    throw new ApiError(
      422,
      "invalid_events",
      `None of the ${events.rejected.length} events is valid; they are kept in quarantine. Fix them and send again.`,
      events.errors,
    );
  }
}
