/**
 * The live demo: hands each event of the stream to the webhook when its time comes (within a
 * quarter of a second), so the live figures move at the history's pace. Events due together go in
 * one request; a failed request is retried with the same webhook-id (the webhook deduplicates),
 * with backoff, until it is accepted.
 */

import type { IncidentPlan } from "./incidents.ts";
import { encodeBatch, postSigned, sleep } from "./post.ts";
import type { DemoStream, NativeEvent } from "./stream.ts";

const TICK_MS = 250;

export interface LiveOptions {
  url: string;
  secret: string;
  stream: DemoStream;
  incidents: IncidentPlan | null;
  signal: AbortSignal;
  log: (line: string) => void;
  /** Called after each accepted request with the time up to which every event was posted. */
  onPosted?: (until: number) => void;
  logEveryMs?: number;
}

export interface LiveStats {
  requests: number;
  events: number;
  sales: number;
  failedRequests: number;
}

/** Splits due events into requests in which no sale appears twice (same-time corrections are ambiguous). */
export function requestsOf(events: readonly NativeEvent[]): NativeEvent[][] {
  const requests: NativeEvent[][] = [];
  let current: NativeEvent[] = [];
  let keys = new Set<unknown>();
  for (const event of events) {
    const key = event.entity === "sale" ? event.payload.sale_id : undefined;
    if (key !== undefined && keys.has(key)) {
      requests.push(current);
      current = [];
      keys = new Set();
    }
    if (key !== undefined) keys.add(key);
    current.push(event);
    if (current.length >= 500) {
      requests.push(current);
      current = [];
      keys = new Set();
    }
  }
  if (current.length > 0) requests.push(current);
  return requests;
}

export async function runLive(options: LiveOptions): Promise<LiveStats> {
  const { signal, log, stream } = options;
  const stats: LiveStats = { requests: 0, events: 0, sales: 0, failedRequests: 0 };
  const logEvery = options.logEveryMs ?? 300_000;
  let lastLog = Date.now();
  let lastLogged = { ...stats };
  let announced = -1;
  while (!signal.aborted) {
    const now = Date.now();
    const incident = options.incidents?.at(now);
    if (incident && incident.index > announced) {
      announced = incident.index;
      log(`incident ${incident.index + 1}: ${incident.description} (PULSE_DEMO_INCIDENTS=off to stop them)`);
    }
    for (const events of requestsOf([...stream.until(now)])) {
      if (!(await deliver(options, events, stats))) return stats;
    }
    options.onPosted?.(now);
    if (now - lastLog >= logEvery) {
      const sales = stats.sales - lastLogged.sales;
      log(
        `live: ${sales} sale${sales === 1 ? "" : "s"} in the last ${Math.round((now - lastLog) / 60_000)} min ` +
          `(${Math.round(stream.level(now))} a day at this rate, before the daily rhythm); ` +
          `${stats.events} events in ${stats.requests} requests so far, ${stats.failedRequests} failed`,
      );
      lastLog = now;
      lastLogged = { ...stats };
    }
    await sleep(TICK_MS, signal);
  }
  return stats;
}

/**
 * Posts events of the recent past through the webhook, as the live demo would have (the live room
 * and the alert rules see them the way they see live sales); false when the demo stopped.
 */
export async function postThroughWebhook(
  options: Pick<LiveOptions, "url" | "secret" | "signal" | "log">,
  events: readonly NativeEvent[],
): Promise<boolean> {
  const stats: LiveStats = { requests: 0, events: 0, sales: 0, failedRequests: 0 };
  for (const request of requestsOf(events)) {
    if (!(await deliver(options, request, stats))) return false;
  }
  return true;
}

/** Posts one request until it is accepted (true) or the demo stops (false). */
async function deliver(
  options: Pick<LiveOptions, "url" | "secret" | "signal" | "log">,
  events: NativeEvent[],
  stats: LiveStats,
): Promise<boolean> {
  const { body, contentType } = encodeBatch(events, Math.random);
  const webhookId = `msg_${crypto.randomUUID()}`;
  for (let failures = 0; !options.signal.aborted; ) {
    const outcome = await postSigned(
      options.url,
      options.secret,
      webhookId,
      body,
      contentType,
      options.signal,
    );
    stats.requests++;
    if (outcome.ok) {
      if (outcome.warning) options.log(outcome.warning);
      stats.events += events.length;
      stats.sales += events.filter((e) => e.entity === "sale" && e.event_type === "INSERT").length;
      return true;
    }
    if (!outcome.retry) {
      options.log(`POST ${options.url} failed: ${outcome.detail}; dropping this batch`);
      return true;
    }
    if (options.signal.aborted) break;
    stats.failedRequests++;
    failures++;
    const backoff = Math.min(30_000, 500 * 2 ** Math.min(failures, 6)) * (0.8 + Math.random() * 0.4);
    options.log(
      `POST ${options.url} failed: ${outcome.detail}; retrying in ${(backoff / 1000).toFixed(1)} s`,
    );
    await sleep(backoff, options.signal);
  }
  return false;
}
