/**
 * The deduplication checksum of an event: SHA-256 over the RFC 8785 canonical JSON of its source,
 * entity, key, operation, source time and payload. Two deliveries of the same event — a retry with a
 * new `webhook-id`, or a repeat inside one request — get the same checksum; bronze keeps one.
 */
import canonicalize from "canonicalize";

export async function eventChecksum(source: string, raw: unknown): Promise<string> {
  const text = canonicalize({ source, event: raw }) ?? "";
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
