/**
 * Runs `wrangler dev` for this project as a child process group. Used by the launcher, the
 * black-box tests and the benches, so all three run the Worker exactly the same way.
 *
 * Secrets go through the child's environment, not the command line (where `ps` shows them).
 * `--env-file` points at an empty file so a developer's `.dev.vars` is never picked up; wrangler
 * then reads the required secrets and vars from its process environment.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type GroupProcess, spawnGroup, waitForHttpOk } from "./processes.ts";

export const projectRoot = fileURLToPath(new URL("../..", import.meta.url));

export interface WranglerDevOptions {
  port: number;
  host?: string;
  /** Where Durable Object and queue state is kept. */
  persistTo: string;
  databaseUrl: string;
  pgProxy: string;
  viewerToken: string;
  adminToken: string;
  /** The Worker's SECRET_KEY (session signing, source secrets at rest). */
  secretKey: string;
  /** Overrides of `[vars]` (`--var KEY:VALUE`). */
  vars?: Record<string, string>;
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
  /** Called as soon as wrangler is spawned, before it is ready (so a caller can stop it meanwhile). */
  onSpawn?: (process: GroupProcess) => void;
  readyTimeoutMs?: number;
}

export interface WranglerDev {
  baseUrl: string;
  process: GroupProcess;
  stop(): Promise<void>;
}

export async function startWranglerDev(options: WranglerDevOptions): Promise<WranglerDev> {
  const host = options.host ?? "127.0.0.1";
  const envFile = join(options.persistTo, "..", "wrangler.env");
  mkdirSync(dirname(envFile), { recursive: true });
  writeFileSync(envFile, "# Empty on purpose: values come from the process environment.\n", { mode: 0o600 });
  const child = spawnGroup(
    process.execPath,
    [
      join(projectRoot, "node_modules/wrangler/bin/wrangler.js"),
      "dev",
      "--ip",
      host,
      "--port",
      String(options.port),
      "--persist-to",
      options.persistTo,
      "--env-file",
      envFile,
      "--show-interactive-dev-session=false",
      ...Object.entries(options.vars ?? {}).flatMap(([key, value]) => ["--var", `${key}:${value}`]),
    ],
    {
      cwd: projectRoot,
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: "false",
        // No fetch of Cloudflare's `Request.cf` sample at every start (it fails offline, noisily).
        CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? "false",
        DATABASE_URL: options.databaseUrl,
        VIEWER_TOKEN: options.viewerToken,
        ADMIN_TOKEN: options.adminToken,
        SECRET_KEY: options.secretKey,
        PG_WS_PROXY: options.pgProxy,
      },
      onLine: options.onLine ?? (() => undefined),
    },
  );
  options.onSpawn?.(child);
  const baseUrl = `http://${host}:${options.port}`;
  try {
    await waitForHttpOk(`${baseUrl}/api/v1/health`, {
      timeoutMs: options.readyTimeoutMs ?? 120_000,
      giveUp: child.exited,
    });
  } catch (error) {
    await child.stop(2_000);
    throw error;
  }
  return { baseUrl, process: child, stop: () => child.stop(5_000) };
}
