/**
 * The deduplication checksum of an event: SHA-256 over the RFC 8785 canonical JSON of its source
 * and its identity (table, key, operation, source position and time, payload — not delivery
 * details such as Debezium's connector timestamp). Two deliveries of the same change — a retry with
 * a new `webhook-id`, a repeat inside one request, a connector re-sending after a restart — get the
 * same checksum; bronze keeps one.
 *
 * `node:crypto`'s synchronous hash, not `crypto.subtle.digest`: for events of a few hundred bytes
 * the promise round trip of the latter costs far more than the hashing itself (README, "Figures
 * behind the code"), and the webhook hashes every event it accepts.
 */
import { createHash } from "node:crypto";
import canonicalize from "canonicalize";

export function eventChecksum(source: string, identity: unknown): string {
  return createHash("sha256").update(canonicalJson({ source, identity })).digest("hex");
}

/**
 * RFC 8785 canonical JSON, the same text as `canonicalize` (a property test holds them equal):
 * a copy of the value with every object's keys inserted in sorted order, written by the runtime's
 * own `JSON.stringify` — faster in workerd than serialising value by value (README, "Figures behind
 * the code"). Values the copy cannot order that way go to `canonicalize` itself: objects with
 * array-index keys (which JavaScript always enumerates first, in numeric order), a `__proto__` key
 * and `toJSON` objects. Unlike `canonicalize`, a string with a lone surrogate does not throw:
 * `JSON.stringify` escapes it, so such an event still gets a checksum.
 */
export function canonicalJson(value: unknown): string {
  try {
    return JSON.stringify(sortedCopy(value)) ?? "";
  } catch (error) {
    if (error !== UNSORTABLE) throw error;
    return canonicalize(value) ?? "";
  }
}

const UNSORTABLE = Symbol("unsortable");
const ARRAY_INDEX = /^(?:0|[1-9][0-9]*)$/;

function sortedCopy(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(sortedCopy);
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") throw UNSORTABLE;
  const keys = Object.keys(value).sort();
  // A plain object (the runtime's JSON.stringify is several times slower on prototype-less ones),
  // so a "__proto__" key, which would set the prototype instead, goes to `canonicalize` too.
  const copy: Record<string, unknown> = {};
  for (const key of keys) {
    const first = key.charCodeAt(0);
    if ((first >= 48 && first <= 57 && ARRAY_INDEX.test(key)) || key === "__proto__") throw UNSORTABLE;
    copy[key] = sortedCopy((value as Record<string, unknown>)[key]);
  }
  return copy;
}
