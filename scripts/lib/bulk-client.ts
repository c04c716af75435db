/**
 * Loads events into Pulse through the bulk endpoint: signed like the webhook, chunked to the
 * endpoint's limits, two requests in flight, then `…/bulk/finish`, which has the live room drain the
 * slices the load left dirty (unique customers, percentiles) and answers at once; `waitExact` follows
 * that drain to the end. Used by `npm run backfill` and `npm run seed:demo`.
 */
import { signedHeaders } from "../../workers/ingest/signature.ts";

export interface BulkTarget {
  baseUrl: string;
  source: string;
  secret: string;
  adminToken: string;
}

export interface BulkReport {
  events: number;
  processed: number;
  duplicates: number;
  rejected: number;
  quarantined: number;
  unmapped: number;
  /** Until the last event was committed and `/bulk/finish` answered. */
  seconds: number;
  /** Slices still being recomputed when `/bulk/finish` answered (their values are served as pending). */
  dirtySlices: number;
}

/** The endpoint's transaction size (`BULK_CHUNK`): one request, one turn. */
const CHUNK_EVENTS = 10_000;
const CHUNK_BYTES = 12 * 1024 * 1024;
const IN_FLIGHT = 2;

async function postChunk(target: BulkTarget, lines: string[]): Promise<Record<string, number>> {
  const body = `${lines.join("\n")}\n`;
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(`${target.baseUrl}/api/v1/cdc/${target.source}/bulk`, {
        method: "POST",
        headers: { "content-type": "application/x-ndjson", ...signedHeaders(target.secret, body) },
        body,
      });
    } catch (error) {
      // The connection dropped (a busy or restarting server): the same chunk again is harmless,
      // bronze recognises whatever of it was already committed.
      if (attempt >= 4) throw withCause(error);
      await new Promise((r) => setTimeout(r, 1_000 * attempt));
      continue;
    }
    if (response.ok || response.status === 422) return (await response.json()) as Record<string, number>;
    const text = await response.text();
    if (response.status < 500 || attempt >= 4)
      throw new Error(`bulk load failed: HTTP ${response.status} ${text}`);
    await new Promise((r) => setTimeout(r, 500 * attempt));
  }
}

/** `fetch failed` alone says little: name what failed underneath. */
function withCause(error: unknown): Error {
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return new Error(`${error instanceof Error ? error.message : String(error)}${cause}`);
}

/** Sends every line of `lines` (one JSON event each) and finishes the load. */
export async function bulkLoad(
  target: BulkTarget,
  lines: AsyncIterable<string> | Iterable<string>,
  onProgress: (report: BulkReport) => void = () => undefined,
  chunkEvents = CHUNK_EVENTS,
): Promise<BulkReport> {
  const started = performance.now();
  const report: BulkReport = {
    events: 0,
    processed: 0,
    duplicates: 0,
    rejected: 0,
    quarantined: 0,
    unmapped: 0,
    seconds: 0,
    dirtySlices: 0,
  };
  const running = new Set<Promise<void>>();
  let chunk: string[] = [];
  let bytes = 0;
  const flush = async () => {
    if (chunk.length === 0) return;
    const sending = chunk;
    chunk = [];
    bytes = 0;
    const task = postChunk(target, sending).then((result) => {
      report.events += sending.length;
      report.processed += result.processed ?? 0;
      report.duplicates += (result.duplicates ?? 0) + (result.repeated_in_request ?? 0);
      report.rejected += result.rejected ?? 0;
      report.quarantined += result.quarantined ?? 0;
      report.unmapped += result.unmapped ?? 0;
      report.seconds = (performance.now() - started) / 1000;
      onProgress(report);
    });
    const tracked = task.finally(() => running.delete(tracked));
    running.add(tracked);
    if (running.size >= IN_FLIGHT) await Promise.race(running);
  };
  for await (const line of lines) {
    if (line.trim() === "") continue;
    chunk.push(line);
    bytes += line.length + 1;
    if (chunk.length >= chunkEvents || bytes >= CHUNK_BYTES) await flush();
  }
  await flush();
  await Promise.all(running);
  const finish = await fetch(`${target.baseUrl}/api/v1/cdc/${target.source}/bulk/finish`, {
    method: "POST",
    headers: { authorization: `Bearer ${target.adminToken}` },
  });
  if (!finish.ok) throw new Error(`finishing the load failed: HTTP ${finish.status} ${await finish.text()}`);
  const finished = (await finish.json()) as { dirty_slices?: number };
  report.dirtySlices = finished.dirty_slices ?? 0;
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

/**
 * Waits until no slice is dirty any more (every KPI exact), as `pipeline/health` reports it, calling
 * `onProgress` with the count at each poll. Returns the seconds it waited.
 */
export async function waitExact(
  target: BulkTarget,
  onProgress: (dirtySlices: number) => void = () => undefined,
  { timeoutMs = 600_000, pollMs = 250 } = {},
): Promise<number> {
  const started = performance.now();
  for (;;) {
    const response = await fetch(`${target.baseUrl}/api/v1/pipeline/health`, {
      headers: { authorization: `Bearer ${target.adminToken}` },
    });
    if (!response.ok) throw new Error(`pipeline health: HTTP ${response.status} ${await response.text()}`);
    const dirty = ((await response.json()) as { dirty_slices: number }).dirty_slices;
    onProgress(dirty);
    if (dirty === 0) return (performance.now() - started) / 1000;
    if (performance.now() - started > timeoutMs)
      throw new Error(`${dirty} slices still dirty after ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
