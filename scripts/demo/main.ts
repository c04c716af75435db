/**
 * The demo source system, as `npm start` runs it (a process of its own, so generating and signing
 * events never competes with the embedded Postgres on the launcher's thread):
 *
 *   1. on a database without demo sales, 90 days of history through the bulk endpoint, in the
 *      background (the dashboard is up already), with a progress line; after a restart, only the
 *      gap since the last run;
 *   2. then the live demo: the same stream going on, each event posted when its time comes.
 *
 * Configuration (environment): PULSE_DEMO_SPEED (1: ~750 orders a day, whose 90 days of history
 * load in about a minute; 5 → ~3,750, enough for a region's five quiet minutes to stand out at its
 * busy hours; 10 → ~7,500; in the history and live alike), PULSE_DEMO_HISTORY_DAYS (90; 0 = none),
 * PULSE_DEMO_INCIDENTS (on/off), PULSE_DEMO_INCIDENT_MINUTES (5), PULSE_DEMO_SEED (7),
 * PULSE_DEMO_STATE (the state file), PULSE_BASE_URL, PULSE_CREDENTIALS / PULSE_DATA_DIR.
 */
import { join } from "node:path";
import { z } from "zod";
import { DEMO_SOURCE, defaultCredentialsPath, readCredentials } from "../lib/credentials.ts";
import { loadHistory } from "./history.ts";
import { IncidentPlan } from "./incidents.ts";
import { postThroughWebhook, runLive } from "./live.ts";
import { type DemoState, readState, writeState } from "./state.ts";
import { DemoStream } from "./stream.ts";

const DAY_MS = 86_400_000;
/** The history's last 48 hours (the live room's minute window) go through the webhook, not the bulk endpoint. */
const RECENT_THROUGH_WEBHOOK_MS = 48 * 3_600_000;
const off = (v: string) => ["off", "0", "false", "no"].includes(v.toLowerCase());

const env = z
  .object({
    PULSE_DEMO_SPEED: z.coerce.number().positive().max(1_000).default(1),
    PULSE_DEMO_HISTORY_DAYS: z.coerce.number().int().min(0).max(3_650).default(90),
    PULSE_DEMO_INCIDENTS: z.string().default("on"),
    PULSE_DEMO_INCIDENT_MINUTES: z.coerce.number().min(1).max(1_440).default(5),
    PULSE_DEMO_SEED: z.coerce.number().int().default(7),
    PULSE_DEMO_STATE: z.string().optional(),
    PULSE_BASE_URL: z.string().url().optional(),
    PULSE_STARTED_AT: z.coerce.number().optional(),
  })
  .safeParse(process.env);
if (!env.success) {
  console.error(
    `demo configuration: ${env.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
  );
  process.exit(2);
}
const config = env.data;
const log = (line: string) => console.log(line);
const credentialsPath = defaultCredentialsPath();
const credentials = readCredentials(credentialsPath);
const secret = credentials.sources[DEMO_SOURCE];
if (!secret) throw new Error(`${credentialsPath} has no secret for source "${DEMO_SOURCE}"`);
const baseUrl = (config.PULSE_BASE_URL ?? credentials.baseUrl).replace(/\/$/, "");
const statePath = config.PULSE_DEMO_STATE ?? join(credentialsPath, "..", "demo.json");
const controller = new AbortController();
/** Until the history is in, stopping means stopping now: the next start loads it again (no duplicates). */
let historyDone = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    controller.abort();
    if (!historyDone) process.exit(0);
  });
}

/** The demo source's counts and last sighting, from the health endpoint. */
async function demoSeen(): Promise<{ processed: number; lastSeen: number | null }> {
  const response = await fetch(`${baseUrl}/api/v1/pipeline/health`, {
    headers: { authorization: `Bearer ${credentials.viewerToken}` },
  });
  if (!response.ok) throw new Error(`GET /api/v1/pipeline/health: HTTP ${response.status}`);
  const health = (await response.json()) as {
    sources: { name: string; processed: number; last_seen_at: string | null }[];
  };
  const demo = health.sources.find((s) => s.name === DEMO_SOURCE);
  return {
    processed: demo?.processed ?? 0,
    lastSeen: demo?.last_seen_at ? Date.parse(demo.last_seen_at) : null,
  };
}

/** What to load: a new history, the gap since the last run, or (history off) nothing. */
function plan(
  now: number,
  seen: { processed: number; lastSeen: number | null },
): { state: DemoState; from: number; catalog: boolean } {
  const days = config.PULSE_DEMO_HISTORY_DAYS;
  // The history's first day is the first day of the "last N days" view: no stray day before it
  // makes "vs previous period" compare with one lonely day.
  const epoch = Math.floor(now / DAY_MS) * DAY_MS - Math.max(0, days - 1) * DAY_MS;
  const fresh = { seed: config.PULSE_DEMO_SEED, epoch, speed: config.PULSE_DEMO_SPEED, postedUntil: null };
  if (days === 0) return { state: { ...fresh, epoch: now, postedUntil: now }, from: now, catalog: true };
  const known = readState(statePath);
  if (seen.processed === 0 || (!known && seen.lastSeen === null))
    return { state: fresh, from: epoch, catalog: true };
  const state = known
    ? { ...known, speed: config.PULSE_DEMO_SPEED }
    : { ...fresh, postedUntil: seen.lastSeen };
  if (known && known.speed !== config.PULSE_DEMO_SPEED) {
    log(
      `speed changed from ${known.speed} to ${config.PULSE_DEMO_SPEED}: the business continues at the new rate`,
    );
  }
  // Never reach back further than the history would: a long pause leaves a gap beyond it.
  const from = Math.max(state.postedUntil ?? state.epoch, now - days * DAY_MS, state.epoch);
  // Without our state (another demo's data) the customers from before the history are news too.
  return { state, from, catalog: !known || from <= state.epoch };
}

async function main(): Promise<void> {
  const now = Date.now();
  const { state, from, catalog } = plan(now, await demoSeen());
  writeState(statePath, state);
  const incidents = off(config.PULSE_DEMO_INCIDENTS)
    ? null
    : new IncidentPlan({
        seed: state.seed,
        liveStart: now,
        everyMinutes: config.PULSE_DEMO_INCIDENT_MINUTES,
      });
  // One stream: the history up to now, then the same stream live (each event when its time
  // comes), so the live demo continues the history at its pace. Events that came due while the
  // history loaded go out together when it is in.
  let stream: DemoStream | null = null;
  for (let attempt = 1; from < now && !stream; attempt++) {
    try {
      stream = await history(state, { from, to: now, catalog }, incidents);
    } catch (error) {
      // Loading again is harmless: bronze recognises what is there already.
      if (attempt >= 3) throw error;
      log(
        `history: ${error instanceof Error ? error.message : String(error)}; trying again in ${5 * attempt} s`,
      );
      await new Promise((resolve) => setTimeout(resolve, 5_000 * attempt));
    }
  }
  historyDone = true;
  if (!stream) {
    stream = new DemoStream({ seed: state.seed, epoch: state.epoch, speed: state.speed, incidents });
    for (const _ of stream.until(now)) {
      // generated only to reach the state of the business at `now`
    }
  }
  const url = `${baseUrl}/api/v1/cdc/${DEMO_SOURCE}`;
  log(
    `live: posting the demo company's sales as they happen to ${url} ` +
      `(~${Math.round(stream.level(now))} orders a day at speed ${state.speed}; PULSE_DEMO_SPEED to change)` +
      (incidents ? `; a staged incident every ${config.PULSE_DEMO_INCIDENT_MINUTES} min` : ""),
  );
  // The staged incidents run on the live demo's clock: the first a minute after it begins.
  incidents?.startAt(Date.now());
  await runLive({
    url,
    secret: secret!,
    stream,
    incidents,
    signal: controller.signal,
    log,
    onPosted: (until) => {
      if (until - (state.postedUntil ?? 0) > 30_000) {
        state.postedUntil = until;
        writeState(statePath, state);
      }
    },
  });
  writeState(statePath, { ...state, postedUntil: Date.now() });
}

/** "3 minutes", "5 hours", "2 days". */
function span(ms: number): string {
  const [n, unit] =
    ms < 3_600_000 ? [ms / 60_000, "minute"] : ms < DAY_MS ? [ms / 3_600_000, "hour"] : [ms / DAY_MS, "day"];
  const whole = Math.max(1, Math.round(n));
  return `${whole} ${unit}${whole === 1 ? "" : "s"}`;
}

/** Loads [from, to) of the demo's stream and returns the stream, ready to go on live from `to`. */
async function history(
  state: DemoState,
  { from, to, catalog }: { from: number; to: number; catalog: boolean },
  incidents: IncidentPlan | null,
): Promise<DemoStream> {
  const started = performance.now();
  const gap = state.postedUntil !== null;
  const stream = new DemoStream({ seed: state.seed, epoch: state.epoch, speed: state.speed, incidents });
  // The last hours go through the webhook, as live sales do: the bulk endpoint writes Postgres
  // only, and the live room (its minutes, the alert rules' "last 15 minutes") would otherwise see
  // a hole until its next reconciliation — a drop that never happened.
  const recent = Math.max(from, to - RECENT_THROUGH_WEBHOOK_MS);
  log(
    `history: loading ${gap ? `the ${span(to - from)} since the last run` : `${config.PULSE_DEMO_HISTORY_DAYS} days`} in the background…`,
  );
  let shown = -1;
  let lastShown = 0;
  const result = await loadHistory({
    target: { baseUrl, source: DEMO_SOURCE, secret: secret!, adminToken: credentials.adminToken },
    stream,
    from,
    to: recent,
    withCatalog: catalog,
    onProgress: (share, events, seconds) => {
      const percent = Math.floor(share * 100);
      if (percent < 100 && (percent < shown + 10 || performance.now() - lastShown < 2_000)) return;
      shown = percent;
      lastShown = performance.now();
      log(
        `history: ${percent} % — ${events.toLocaleString("en-US")} events, ${Math.round(events / Math.max(seconds, 0.001)).toLocaleString("en-US")}/s`,
      );
    },
  });
  const recentEvents = [...stream.until(to)].filter((e) => Date.parse(e.event_timestamp) >= from);
  const posted = await postThroughWebhook(
    { url: `${baseUrl}/api/v1/cdc/${DEMO_SOURCE}`, secret: secret!, signal: controller.signal, log },
    recentEvents,
  );
  if (!posted) throw new Error("stopped while posting the last hours");
  state.postedUntil = to;
  writeState(statePath, state);
  const sinceStart = config.PULSE_STARTED_AT
    ? `, ${((Date.now() - config.PULSE_STARTED_AT) / 1000).toFixed(1)} s after start`
    : "";
  log(
    `history loaded: ${(result.events + recentEvents.length).toLocaleString("en-US")} events (the last ${span(to - recent)} through the webhook) (${result.duplicates.toLocaleString("en-US")} already there) ` +
      `in ${((performance.now() - started) / 1000).toFixed(1)} s${sinceStart}`,
  );
  return stream;
}

try {
  await main();
} catch (error) {
  if (!controller.signal.aborted) {
    const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : "";
    console.error(`demo stopped: ${error instanceof Error ? error.message : String(error)}${cause}`);
    process.exit(1);
  }
}
