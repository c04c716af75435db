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

export interface Limits {
  maxBytes: number;
  maxEvents: number;
}

export interface SignedEvents {
  source: string;
  accepted: { checksum: string; raw: unknown; change: Change }[];
  rejected: { raw: unknown; rule: string; reasons: string[] }[];
  errors: { index: number; rule: string; reasons: string[] }[];
  repeated: number;
}

function tooLarge(bytes: number, limits: Limits): ApiError {
  return new ApiError(
    413,
    "body_too_large",
    `The body is ${bytes} bytes; send at most ${limits.maxBytes} bytes (${limits.maxEvents} events) per request.`,
  );
}

/**
 * Events validated between two turns of the event loop. A 2,000-event body is ~50 ms of work; in
 * one piece it would hold up everything else the isolate serves meanwhile (other requests, a queue
 * batch waiting on its database replies).
 */
const YIELD_EVERY = 25;

export async function readSignedEvents(c: Context<{ Bindings: Env }>, limits: Limits): Promise<SignedEvents> {
  const name = c.req.param("source") ?? "";
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > limits.maxBytes) throw tooLarge(declared, limits);

  // An unknown name is verified against a secret nobody has: the same 401 as a wrong signature,
  // so answers do not tell which source names exist.
  let { source, cached } = await findSource(c.env, name);

  const body = await c.req.text();
  const bytes = new TextEncoder().encode(body).length;
  if (bytes > limits.maxBytes) throw tooLarge(bytes, limits);

  const headers = {
    "webhook-id": c.req.header("webhook-id") ?? "",
    "webhook-timestamp": c.req.header("webhook-timestamp") ?? "",
    "webhook-signature": c.req.header("webhook-signature") ?? "",
  };
  let verified = verifySignature(source?.secrets ?? unknownSourceSecrets(), body, headers);
  if (!verified.ok && cached && source) {
    ({ source, cached } = await findSource(c.env, name, { fresh: true }));
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

  const result: SignedEvents = { source: name, accepted: [], rejected: [], errors: [], repeated: 0 };
  const seen = new Set<string>();
  for (const [index, raw] of raws.entries()) {
    if (index > 0 && index % YIELD_EVERY === 0) await scheduler.wait(0);
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
