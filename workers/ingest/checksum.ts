/**
 * The deduplication checksum of an event: SHA-256 over the RFC 8785 canonical JSON of its source
 * and its identity (table, key, operation, source position and time, payload — not delivery
 * details such as Debezium's connector timestamp). Two deliveries of the same change — a retry with
 * a new `webhook-id`, a repeat inside one request, a connector re-sending after a restart — get the
 * same checksum; bronze keeps one.
 */
import canonicalize from "canonicalize";

export async function eventChecksum(source: string, identity: unknown): Promise<string> {
  const text = canonicalize({ source, identity }) ?? "";
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
