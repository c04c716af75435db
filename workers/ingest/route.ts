/**
 * `POST /api/v1/cdc/:source` — the webhook. It verifies the signature, splits and validates the
 * body, and acknowledges only what is durable: valid events (with their checksum) and rejected ones
 * (with their reasons, to be quarantined) are on the queue before it answers 202.
 */
import { Hono } from "hono";
import { ApiError } from "../http/errors.ts";
import { groupForSend, packMessages } from "../pipeline/message.ts";
import { eventChecksum } from "./checksum.ts";
import { BodyError, identityOf, MAX_EVENTS_PER_REQUEST, parseEvent, splitBody } from "./events.ts";
import { verifySignature } from "./signature.ts";
import { findSource } from "./sources.ts";

export const MAX_BODY_BYTES = 2 * 1024 * 1024;

export const ingest = new Hono<{ Bindings: Env }>();

ingest.post("/api/v1/cdc/:source", async (c) => {
  const name = c.req.param("source");
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw tooLarge(declared);

  let { source, cached } = await findSource(c.env, name);
  if (!source) {
    throw new ApiError(
      404,
      "unknown_source",
      `No source named "${name}". Create it with PUT /api/v1/sources/${name}.`,
    );
  }

  const body = await c.req.text();
  const bytes = new TextEncoder().encode(body).length;
  if (bytes > MAX_BODY_BYTES) throw tooLarge(bytes);

  const headers = {
    "webhook-id": c.req.header("webhook-id") ?? "",
    "webhook-timestamp": c.req.header("webhook-timestamp") ?? "",
    "webhook-signature": c.req.header("webhook-signature") ?? "",
  };
  let verified = verifySignature(source.secrets, body, headers);
  if (!verified.ok && cached) {
    ({ source, cached } = await findSource(c.env, name, { fresh: true }));
    if (source) verified = verifySignature(source.secrets, body, headers);
  }
  if (!verified.ok) throw new ApiError(401, "invalid_signature", verified.reason);

  let raws: unknown[];
  try {
    raws = splitBody(body);
  } catch (error) {
    if (error instanceof BodyError) throw new ApiError(400, error.code, error.message);
    throw error;
  }
  if (raws.length > MAX_EVENTS_PER_REQUEST) {
    throw new ApiError(
      413,
      "too_many_events",
      `${raws.length} events in one request; send at most ${MAX_EVENTS_PER_REQUEST} per request.`,
    );
  }

  const accepted: { checksum: string; raw: unknown }[] = [];
  const rejected: { raw: unknown; rule: string; reasons: string[] }[] = [];
  const errors: { index: number; rule: string; reasons: string[] }[] = [];
  const seen = new Set<string>();
  let repeated = 0;
  for (const [index, raw] of raws.entries()) {
    const parsed = parseEvent(raw);
    if (!parsed.ok) {
      rejected.push({ raw, rule: parsed.rule, reasons: parsed.reasons });
      errors.push({ index, rule: parsed.rule, reasons: parsed.reasons });
      continue;
    }
    const checksum = await eventChecksum(name, identityOf(parsed.change));
    if (seen.has(checksum)) {
      repeated++;
      continue;
    }
    seen.add(checksum);
    accepted.push({ checksum, raw });
  }

  const receivedAt = new Date().toISOString();
  const messages = packMessages(name, receivedAt, accepted, rejected);
  for (const group of groupForSend(messages)) {
    await c.env.CDC_QUEUE.sendBatch(group.map((m) => ({ body: m.body, contentType: "json" as const })));
  }

  if (accepted.length === 0 && rejected.length > 0) {
    throw new ApiError(
      422,
      "invalid_events",
      `None of the ${rejected.length} events is valid; they are kept in quarantine. Fix them and send again.`,
      errors,
    );
  }
  return c.json(
    { accepted: accepted.length, repeated_in_request: repeated, rejected: rejected.length, errors },
    202,
  );
});

function tooLarge(bytes: number): ApiError {
  return new ApiError(
    413,
    "body_too_large",
    `The body is ${bytes} bytes; send at most ${MAX_BODY_BYTES} bytes (${MAX_EVENTS_PER_REQUEST} events) per request.`,
  );
}
