/**
 * `npm start` — the whole Pulse stack on one machine with nothing but Node and npm:
 *
 *   1. Postgres: `DATABASE_URL` when set, otherwise an embedded PGlite persisted in `.data/pglite`
 *      and served on the wire protocol (port PULSE_PG_PORT or a free one);
 *   2. the migrations (idempotent);
 *   3. local credentials in `.data/credentials.json` (created once, then reused) and the `demo`
 *      source's secret in the `sources` table;
 *   4. the WebSocket→TCP proxy the Worker's Neon driver uses locally;
 *   5. the dashboard build when web/ changed since the last one;
 *   6. `wrangler dev` on 127.0.0.1:PORT (8787), state persisted under `.data/wrangler`;
 *   7. the demo source system (scripts/demo/, a process of its own): on a database without demo
 *      sales, 90 days of history loaded in the background, then signed CDC traffic as it happens
 *      (PULSE_DEMO=off keeps the database empty).
 *
 * Ctrl-C or SIGTERM stops everything (wrangler's whole process group, the proxy, PGlite); if
 * wrangler dies, the launcher stops the rest and exits non-zero.
 *
 * Environment: DATABASE_URL, PORT (8787), PULSE_PG_PORT, PULSE_DEMO=off, PULSE_DEMO_SPEED and the
 * other PULSE_DEMO_* settings (scripts/demo/main.ts), PULSE_DATA_DIR (.data), PULSE_VERBOSE=1
 * (show wrangler's log of every successful request).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { installDefaultAlerts, outboxSecret, startAlertOutbox } from "./lib/alert-defaults.ts";
import { DEMO_SOURCE, loadOrCreateCredentials, upsertSources } from "./lib/credentials.ts";
import { cronsOf, startCronTicker } from "./lib/cron.ts";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "./lib/embedded-postgres.ts";
import { LauncherLock } from "./lib/launcher-lock.ts";
import { runMigrations } from "./lib/migrate.ts";
import { type PgProxy, startPgProxy } from "./lib/pg-proxy.ts";
import { type GroupProcess, portInUse, spawnGroup } from "./lib/processes.ts";
import { ensureWebBuild } from "./lib/web-build.ts";
import { startWranglerDev } from "./lib/wrangler-dev.ts";

const started = performance.now();
const root = fileURLToPath(new URL("..", import.meta.url));
const dataDir = process.env.PULSE_DATA_DIR || join(root, ".data");
const port = Number(process.env.PORT ?? 8787);
const host = "127.0.0.1";
const baseUrl = `http://${host}:${port}`;
const verbose = process.env.PULSE_VERBOSE === "1";
const demoEnabled = !["off", "0", "false", "no"].includes((process.env.PULSE_DEMO ?? "on").toLowerCase());

const say = (line: string) => console.log(`[pulse] ${line}`);
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

let postgres: EmbeddedPostgres | undefined;
let postgresStarting: Promise<EmbeddedPostgres> | undefined;
let proxy: PgProxy | undefined;
let wrangler: GroupProcess | undefined;
let building: GroupProcess | undefined;
const demoController = new AbortController();
let demo: GroupProcess | undefined;
let stopping: Promise<never> | undefined;
const lock = new LauncherLock(dataDir, say);

/** Stops whatever has started, in reverse order, then exits with `code`. */
function shutdown(code: number, reason: string): Promise<never> {
  stopping ??= (async () => {
    say(`${reason}; stopping…`);
    // Keeps the process alive until everything is closed, and bounds how long that may take.
    setTimeout(() => {
      say("stopping takes too long; exiting anyway");
      process.exit(code || 1);
    }, 20_000);
    demoController.abort();
    await demo?.stop(3_000);
    await building?.stop(2_000);
    if (wrangler) await wrangler.stop(5_000);
    await proxy?.close().catch((error: unknown) => say(`closing the proxy: ${String(error)}`));
    // Interrupting PGlite's first initdb would leave a data folder it cannot open: let it finish.
    const db = postgres ?? (await postgresStarting?.catch(() => undefined));
    await Promise.race([
      db?.close().catch((error: unknown) => say(`closing PGlite: ${String(error)}`)),
      new Promise((resolve) => setTimeout(resolve, 5_000)),
    ]);
    lock.release();
    say("stopped.");
    process.exit(code);
  })();
  return stopping;
}

let signals = 0;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    signals++;
    if (signals === 1) {
      void shutdown(0, `${signal} received`);
      return;
    }
    // A second Ctrl-C while stopping: don't wait any longer.
    say(`${signal} again: killing now`);
    if (wrangler?.child.pid) {
      try {
        process.kill(-wrangler.child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    process.exit(130);
  });
}

// Wrangler runs in its own process group, so nothing would stop it if the launcher died: stop the
// stack on any crash, and kill the group as a last resort whenever this process exits.
process.on("uncaughtException", (error) => {
  console.error(`[pulse] unexpected error: ${error.stack ?? error.message}`);
  void shutdown(1, "unexpected error");
});
process.on("unhandledRejection", (reason) => {
  console.error(
    `[pulse] unexpected error: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`,
  );
  void shutdown(1, "unexpected error");
});
process.on("exit", () => {
  lock.release();
  for (const group of [wrangler, demo]) {
    if (!group?.child.pid) continue;
    try {
      process.kill(-group.child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

try {
  await main();
} catch (error) {
  // Already stopping (a signal, or wrangler died): that is the story, not this follow-on error.
  if (stopping) await stopping;
  console.error(`[pulse] start failed: ${error instanceof Error ? error.message : String(error)}`);
  if (verbose && error instanceof Error && error.stack) console.error(error.stack);
  await shutdown(1, "start failed");
}

async function main(): Promise<void> {
  if (!Number.isInteger(port) || port <= 0 || port > 65_535)
    throw new Error(`PORT must be a TCP port, got "${process.env.PORT}"`);
  mkdirSync(dataDir, { recursive: true });
  await lock.acquire();
  if (await portInUse(port, host)) {
    throw new Error(
      `${host}:${port} is already in use (another \`npm start\`?). Stop it or pick another PORT=…`,
    );
  }

  // 1. Postgres
  let databaseUrl = process.env.DATABASE_URL;
  let stateKey = "embedded";
  if (databaseUrl) {
    say(`Postgres: DATABASE_URL (${redact(databaseUrl)})`);
    stateKey = `pg-${createHash("sha256").update(withoutPassword(databaseUrl)).digest("hex").slice(0, 12)}`;
  } else {
    const t = performance.now();
    const pgPort = process.env.PULSE_PG_PORT ? Number(process.env.PULSE_PG_PORT) : 0;
    const pgliteDir = join(dataDir, "pglite");
    const fresh = !existsSync(join(pgliteDir, "PG_VERSION"));
    postgresStarting = startEmbeddedPostgres({ dataDir: pgliteDir, port: pgPort });
    postgres = await postgresStarting;
    await halted();
    databaseUrl = postgres.url;
    say(
      `Postgres: embedded PGlite ${fresh ? "created" : "opened"} in ${rel(pgliteDir)} in ${seconds(t)}, at ${databaseUrl}`,
    );
  }

  // 2. Migrations
  let t = performance.now();
  await runMigrations(databaseUrl);
  await halted();
  say(`migrations up to date (${seconds(t)})`);

  // 3. Credentials and the demo source
  const credentialsPath = join(dataDir, "credentials.json");
  const { credentials, created } = loadOrCreateCredentials(credentialsPath, baseUrl);
  await upsertSources(databaseUrl, credentials.sources, credentials.secretKey);
  await halted();
  say(`credentials ${created ? "created in" : "read from"} ${rel(credentialsPath)}`);

  // 4. The WebSocket→TCP proxy for the Worker's Neon driver
  // Warm backends between invocations on a Postgres server (PGlite has one backend for all).
  proxy = await startPgProxy({ host, pool: postgres === undefined });
  await halted();
  say(`Neon wsproxy on ws://${proxy.address}/v1`);

  // 5. The dashboard
  await ensureWebBuild({
    root,
    say,
    verbose,
    track: (build) => {
      building = build;
    },
  });
  await halted();

  // 6. wrangler dev (secrets through its environment, never its command line; see wrangler-dev.ts).
  t = performance.now();
  await startWranglerDev({
    port,
    host,
    persistTo: join(dataDir, "wrangler", stateKey),
    databaseUrl,
    pgProxy: proxy.address,
    viewerToken: credentials.viewerToken,
    adminToken: credentials.adminToken,
    secretKey: credentials.secretKey,
    onLine: forwardWranglerLine,
    onSpawn: (child) => {
      wrangler = child;
      if (child.child.pid) lock.recordWrangler(child.child.pid);
      void child.exited.then((code) => {
        if (!stopping) void shutdown(code === 0 ? 1 : code, `wrangler exited unexpectedly (code ${code})`);
      });
    },
  });
  const coldStart = seconds(started);
  say(`wrangler ready in ${seconds(t)}`);
  const outbox = await startAlertOutbox(dataDir, outboxSecret(dataDir), say);
  await installDefaultAlerts({
    baseUrl,
    adminToken: credentials.adminToken,
    outbox,
    secret: outboxSecret(dataDir),
    dataDir,
  });
  say(`alerts: default rules deliver to ${rel(outbox.file)} (and GET /api/v1/alerts)`);

  // 7. Done: say how to use it.
  const lines = [
    "",
    `  Pulse is running (started in ${coldStart}).`,
    "",
    `  Dashboard     ${baseUrl}/${demoEnabled ? "?range=90d" : ""}`,
    `  API health    ${baseUrl}/api/v1/health`,
    `  Credentials   ${rel(credentialsPath)}  (viewer and admin tokens, source secrets)`,
    `  Viewer token  ${credentials.viewerToken}`,
    `  Try           curl -H "Authorization: Bearer ${credentials.viewerToken}" ${baseUrl}/api/v1/kpis/summary`,
    `  Demo source   ${demoEnabled ? `history, then live sales to ${baseUrl}/api/v1/cdc/${DEMO_SOURCE} (PULSE_DEMO=off to disable)` : "off (PULSE_DEMO=off)"}`,
    `  Stop          Ctrl-C (or SIGTERM to pid ${process.pid})`,
    "",
  ];
  console.log(lines.join("\n"));

  if (demoEnabled) {
    if (!credentials.sources[DEMO_SOURCE])
      throw new Error(`no secret for source "${DEMO_SOURCE}" in ${credentialsPath}`);
    demo = spawnGroup(process.execPath, [join(root, "scripts/demo/main.ts")], {
      cwd: root,
      env: {
        ...process.env,
        PULSE_CREDENTIALS: credentialsPath,
        PULSE_BASE_URL: baseUrl,
        PULSE_DEMO_STATE: join(dataDir, `demo-${stateKey}.json`),
        PULSE_STARTED_AT: String(Math.round(performance.timeOrigin + started)),
      },
      onLine: (line, stream) => (stream === "stderr" ? console.error : console.log)(`[demo] ${line}`),
    });
    void demo.exited.then((code) => {
      if (!stopping && code !== 0) say(`the demo source stopped (exit ${code}); the rest keeps running`);
    });
  }

  const crons = cronsOf(join(root, "wrangler.toml"));
  if (crons.length > 0) {
    say(`firing cron triggers locally on schedule: ${crons.join(", ")}`);
    startCronTicker({ crons, baseUrl, signal: demoController.signal, say, verbose });
  }
}

/** Once stopping, start-up goes no further: the shutdown in progress ends the process. */
async function halted(): Promise<void> {
  if (stopping) await stopping;
}

/**
 * wrangler's output, prefixed. Its log line for every successful request is dropped unless
 * PULSE_VERBOSE=1 (the demo source alone makes one or two a second); errors always show.
 */
function forwardWranglerLine(line: string, stream: "stdout" | "stderr"): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes
  const plain = line.replace(/\u001b\[[0-9;]*m/g, "");
  if (!verbose && /^\[wrangler:info\] (GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) \S+ [23]\d\d /.test(plain))
    return;
  const queued = /^\[wrangler:info\] QUEUE \S+ (\d+)\/(\d+) \(\d+ms\)$/.exec(plain);
  if (!verbose && queued && queued[1] === queued[2]) return;
  if (plain.trim() === "") return;
  (stream === "stderr" ? console.error : console.log)(`[wrangler] ${line}`);
}

/** `path` relative to the working directory when it is inside it, else absolute. */
function rel(path: string): string {
  const relativePath = relative(process.cwd(), path);
  return relativePath === "" ? "." : relativePath.startsWith("..") ? path : relativePath;
}

function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = "";
    return parsed.toString();
  } catch {
    return url;
  }
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparsable URL)";
  }
}
