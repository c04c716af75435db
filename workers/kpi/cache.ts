/**
 * HTTP caching of KPI answers. The ETag hashes the request (as parsed), the model version and the
 * data version (see `readVersion`), so new data for a range changes it; the same hash keys the edge
 * cache (Workers Cache API), so a cached answer is never served once data it depends on changed —
 * no purge needed. Clients get `private` (answers are behind a token) and must revalidate: with
 * `If-None-Match` an unchanged answer costs one index lookup and a 304.
 */

/** How long the edge keeps an answer; versioned keys make staleness impossible, this bounds storage. */
const EDGE_TTL_SECONDS = 3_600;
const CACHE_ORIGIN = "https://kpi-cache.pulse.internal/";

export async function etagOf(parts: readonly string[]): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(parts.join("\u0000")));
  const hex = [...new Uint8Array(digest).slice(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
  // Weak: two computations at the same version differ in `as_of` but mean the same thing.
  return `W/"${hex}"`;
}

/** RFC 9110 weak comparison against an `If-None-Match` list (or `*`). */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, "");
  return ifNoneMatch.split(",").some((t) => t.trim() === "*" || opaque(t) === opaque(etag));
}

/** A request's `Cache-Control: no-cache` (or `no-store`) skips the edge cache, as HTTP says it should. */
export function bypassesCache(cacheControl: string | undefined): boolean {
  return /\b(no-cache|no-store)\b/.test(cacheControl ?? "");
}

export function clientHeaders(etag: string, contentType: string, cache: "HIT" | "MISS" | "BYPASS") {
  return {
    "content-type": contentType,
    etag,
    "cache-control": "private, max-age=0, must-revalidate",
    "x-cache": cache,
  };
}

export function notModified(etag: string): Response {
  return new Response(null, {
    status: 304,
    headers: { etag, "cache-control": "private, max-age=0, must-revalidate" },
  });
}

const cacheKey = (etag: string) => new Request(`${CACHE_ORIGIN}${encodeURIComponent(etag)}`);

/** The edge cache when the runtime has one (`caches.default`), else nothing. */
function edge(): Cache | undefined {
  return typeof caches === "undefined" ? undefined : caches.default;
}

export async function cacheGet(etag: string): Promise<string | undefined> {
  try {
    const hit = await edge()?.match(cacheKey(etag));
    return hit ? await hit.text() : undefined;
  } catch (error) {
    console.warn(JSON.stringify({ msg: "edge cache read failed", error: String(error) }));
    return undefined;
  }
}

/** Stores an answer at the edge after the response is sent (`waitUntil`); failures only cost a miss. */
export function cachePut(
  waitUntil: (p: Promise<unknown>) => void,
  etag: string,
  body: string,
  contentType: string,
) {
  const cache = edge();
  if (!cache) return;
  const stored = new Response(body, {
    headers: { "content-type": contentType, "cache-control": `public, max-age=${EDGE_TTL_SECONDS}` },
  });
  waitUntil(
    cache
      .put(cacheKey(etag), stored)
      .catch((error: unknown) =>
        console.warn(JSON.stringify({ msg: "edge cache write failed", error: String(error) })),
      ),
  );
}
