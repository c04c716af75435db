/**
 * Loading the demo's history through the bulk endpoint (signed like the webhook, processed in
 * large transactions, then `…/bulk/finish`), with progress by the events' time.
 */
import { type BulkTarget, bulkLoad } from "../lib/bulk-client.ts";
import { ORDERS_PER_DAY } from "./rhythm.ts";
import { DemoStream, type NativeEvent } from "./stream.ts";

const DAY_MS = 86_400_000;
const HISTORY_CHUNK = 2_000;

export interface HistoryLoad {
  events: number;
  processed: number;
  duplicates: number;
  seconds: number;
}

/**
 * Posts the events of `stream` in [`from`, `to`) — the catalog too when `withCatalog` — and
 * finishes the load. Earlier events are generated (the customers they bring must exist) but not sent.
 */
export async function loadHistory(options: {
  target: BulkTarget;
  stream: DemoStream;
  from: number;
  to: number;
  withCatalog: boolean;
  onProgress: (share: number, events: number, seconds: number) => void;
}): Promise<HistoryLoad> {
  const { stream, from, to } = options;
  let latest = from;
  function* lines(): Generator<string> {
    if (options.withCatalog) for (const event of stream.catalogEvents()) yield JSON.stringify(event);
    for (const event of stream.until(to)) {
      const at = Date.parse(event.event_timestamp);
      if (at < from) continue;
      latest = at;
      yield JSON.stringify(event);
    }
  }
  const report = await bulkLoad(
    options.target,
    lines(),
    (r) => options.onProgress((latest - from) / Math.max(1, to - from), r.events, r.seconds),
    // Smaller transactions than a backfill's: on the embedded Postgres (one backend) the
    // dashboard's queries wait for the transaction in progress, so keep each one short.
    HISTORY_CHUNK,
  );
  return {
    events: report.events,
    processed: report.processed,
    duplicates: report.duplicates,
    seconds: report.seconds,
  };
}

/**
 * `days` days of history ending before `until` (UTC midnight), at about `perDay` orders a day: the
 * catalog, then the stream. For benches that need realistic events without a running demo.
 */
export function* historyEvents(options: {
  days: number;
  perDay: number;
  seed?: number;
  until?: Date;
}): Generator<NativeEvent> {
  const end = options.until ?? new Date();
  const until = Date.UTC(end.getUTCFullYear(), end.getUTCMonth(), end.getUTCDate());
  const stream = new DemoStream({
    seed: options.seed ?? 7,
    epoch: until - options.days * DAY_MS,
    speed: options.perDay / ORDERS_PER_DAY,
  });
  yield* stream.catalogEvents();
  yield* stream.until(until);
}
