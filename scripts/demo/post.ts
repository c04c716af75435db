/**
 * Posting to the webhook as a source system does: signed (Standard Webhooks), in the encodings
 * real systems use (one object, a JSON array, NDJSON), and retried with the same webhook-id until
 * accepted — a malformed or invalid batch is not retried (it would not get better).
 */
import { signedHeaders } from "../../workers/ingest/signature.ts";
import type { NativeEvent } from "./stream.ts";

export type PostOutcome = { ok: true; warning?: string } | { ok: false; retry: boolean; detail: string };

/** Encodes a batch the way different source systems do; `random` picks the encoding. */
export function encodeBatch(
  events: readonly NativeEvent[],
  random: () => number,
): { body: string; contentType: string } {
  const r = random();
  if (events.length === 1 && r < 0.3)
    return { body: JSON.stringify(events[0]), contentType: "application/json" };
  if (r < 0.65) return { body: JSON.stringify(events), contentType: "application/json" };
  return {
    body: `${events.map((e) => JSON.stringify(e)).join("\n")}\n`,
    contentType: "application/x-ndjson",
  };
}

export async function postSigned(
  url: string,
  secret: string,
  webhookId: string,
  body: string,
  contentType: string,
  signal: AbortSignal,
): Promise<PostOutcome> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": contentType, ...signedHeaders(secret, body, webhookId) },
      body,
      signal: AbortSignal.any([signal, AbortSignal.timeout(15_000)]),
    });
    const text = await response.text();
    if (response.ok) {
      // Partly accepted: the invalid events are quarantined; that would be a bug in the generator.
      let rejected = 0;
      try {
        rejected = Number((JSON.parse(text) as { rejected?: number }).rejected ?? 0);
      } catch {
        // not the documented answer; the request was accepted all the same
      }
      return rejected > 0
        ? { ok: true, warning: `${rejected} events rejected: ${text.slice(0, 500)}` }
        : { ok: true };
    }
    return {
      ok: false,
      retry: ![400, 413, 422].includes(response.status),
      detail: `HTTP ${response.status} ${text.slice(0, 500)}`,
    };
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : "";
    return {
      ok: false,
      retry: true,
      detail: `${error instanceof Error ? error.message : String(error)}${cause}`,
    };
  }
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
