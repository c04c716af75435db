/**
 * `npm run deploy` — Pulse to Cloudflare (`wrangler.toml`'s `[env.production]`), from nothing to a
 * serving Worker, each step idempotent so a failed run can simply be run again:
 *
 *   1. checks: wrangler is logged in (`wrangler login`, or CLOUDFLARE_API_TOKEN and
 *      CLOUDFLARE_ACCOUNT_ID), and DATABASE_URL is the Neon connection string;
 *   2. the dashboard build (web/ → web/dist, served as static assets);
 *   3. the queues the production config names (producers, consumers, dead-letter queues), created
 *      when missing;
 *   4. the Worker secrets: DATABASE_URL; VIEWER_TOKEN, ADMIN_TOKEN and SECRET_KEY from the
 *      environment when set, otherwise generated once and printed once (store them: SECRET_KEY
 *      decrypts the source secrets, a new one means rotating every source). A secret already on
 *      the Worker is never replaced unless given in the environment. Values go through wrangler's
 *      standard input, never its command line;
 *   5. the Postgres migrations, against DATABASE_URL (drizzle, idempotent);
 *   6. `wrangler deploy --env production`, which also applies the Durable Object migrations of
 *      `[[migrations]]` (KpiRoom, WebhookReplayGuard);
 *   7. `GET /api/v1/health` on the deployed Worker (PULSE_URL, else `PUBLIC_URL` of the config).
 *
 * `npm run deploy -- --plan` prints the steps with what it would create, and changes nothing.
 * `npm run deploy:check` (no Cloudflare account needed) builds the production bundle and resolves
 * its bindings: `wrangler deploy --dry-run --env production`.
 */

import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runMigrations } from "./lib/migrate.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const wranglerBin = join(root, "node_modules/wrangler/bin/wrangler.js");
const ENV = "production";
const plan = process.argv.includes("--plan");

const say = (line: string) => console.log(`[deploy] ${line}`);

function fail(message: string): never {
  console.error(`[deploy] ${message}`);
  process.exit(1);
}

/** Runs wrangler; `input` goes to its standard input. Returns stdout; exits on failure unless `allowFail`. */
function wrangler(args: string[], options: { input?: string; allowFail?: boolean; quiet?: boolean } = {}) {
  const result = spawnSync(process.execPath, [wranglerBin, ...args], {
    cwd: root,
    input: options.input,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    stdio: [options.input === undefined ? "inherit" : "pipe", "pipe", "pipe"],
  });
  if (!options.quiet && result.stdout) process.stdout.write(result.stdout);
  if (result.status !== 0 && !options.allowFail) {
    process.stderr.write(result.stderr ?? "");
    fail(`wrangler ${args[0]} ${args[1] ?? ""} failed (exit ${result.status})`);
  }
  return { ok: result.status === 0, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}

/** The production section of wrangler.toml, as text (the queues, secrets and PUBLIC_URL it names). */
function productionConfig(): { queues: string[]; secrets: string[]; publicUrl: string | undefined } {
  const toml = readFileSync(join(root, "wrangler.toml"), "utf8");
  const production = toml.slice(toml.indexOf("[env.production]"));
  const queues = new Set<string>();
  for (const m of production.matchAll(/^\s*(?:queue|dead_letter_queue)\s*=\s*"([^"]+)"/gm))
    queues.add(m[1] ?? "");
  const secrets = /\[env\.production\.secrets\]\s*required\s*=\s*\[([^\]]*)\]/.exec(production)?.[1] ?? "";
  return {
    queues: [...queues].filter(Boolean),
    secrets: [...secrets.matchAll(/"([^"]+)"/g)].map((m) => m[1] ?? ""),
    publicUrl: /^PUBLIC_URL\s*=\s*"([^"]+)"/m.exec(production)?.[1],
  };
}

const generated = {
  VIEWER_TOKEN: () => randomBytes(32).toString("base64url"),
  ADMIN_TOKEN: () => randomBytes(32).toString("base64url"),
  SECRET_KEY: () => randomBytes(32).toString("base64"),
} as Record<string, () => string>;

async function main(): Promise<void> {
  const config = productionConfig();
  const databaseUrl = process.env.DATABASE_URL;

  // 1. Checks
  if (!databaseUrl) fail("set DATABASE_URL to the Neon connection string (postgres://…?sslmode=require)");
  if (!plan) {
    const who = wrangler(["whoami"], { allowFail: true, quiet: true });
    if (!who.ok || /not authenticated/i.test(who.stdout)) {
      fail("wrangler is not logged in: run `npx wrangler login`, or set CLOUDFLARE_API_TOKEN");
    }
  }
  say(`Worker config: env.${ENV}; queues ${config.queues.join(", ")}; secrets ${config.secrets.join(", ")}`);

  // 2. Dashboard
  say("building the dashboard");
  const build = spawnSync(
    process.execPath,
    [join(root, "node_modules/vite/bin/vite.js"), "build", "--config", "web/vite.config.ts"],
    {
      cwd: root,
      stdio: "inherit",
    },
  );
  if (build.status !== 0) fail("the dashboard build failed");

  // 3. Queues
  const existing = plan ? "" : wrangler(["queues", "list"], { quiet: true }).stdout;
  for (const queue of config.queues) {
    if (new RegExp(`(^|[\\s│|])${queue.replace(/[-]/g, "\\-")}([\\s│|]|$)`, "m").test(existing)) {
      say(`queue ${queue}: exists`);
    } else if (plan) {
      say(`queue ${queue}: would be created when missing`);
    } else {
      say(`queue ${queue}: creating`);
      wrangler(["queues", "create", queue]);
    }
  }

  // 4. Secrets
  const listed = plan
    ? "[]"
    : wrangler(["secret", "list", "--env", ENV, "--format", "json"], { quiet: true }).stdout;
  let present: Set<string>;
  try {
    present = new Set((JSON.parse(listed) as { name: string }[]).map((s) => s.name));
  } catch {
    present = new Set();
  }
  const shown: string[] = [];
  for (const name of config.secrets) {
    const given = process.env[name];
    if (given === undefined && present.has(name)) {
      say(`secret ${name}: set on the Worker, kept`);
      continue;
    }
    const make = generated[name];
    if (given === undefined && !make) fail(`secret ${name}: set it in the environment for the first deploy`);
    if (plan) {
      say(`secret ${name}: would be ${given === undefined ? "generated and " : ""}put`);
      continue;
    }
    const value = given ?? make?.() ?? "";
    wrangler(["secret", "put", name, "--env", ENV], { input: value, quiet: true });
    say(`secret ${name}: put${given === undefined ? " (generated)" : ""}`);
    if (given === undefined) shown.push(`  ${name}=${value}`);
  }
  if (shown.length > 0) {
    console.log(
      ["", "  Generated secrets — shown this once; keep them in your password manager:", ...shown, ""].join(
        "\n",
      ),
    );
  }

  // 5. Postgres migrations
  if (plan) {
    say("migrations: would be applied to DATABASE_URL");
  } else {
    say("migrations: applying to DATABASE_URL");
    await runMigrations(databaseUrl);
  }

  // 6. The Worker (and its Durable Object migrations)
  if (plan) {
    say("deploy: checking the bundle and bindings (dry run)");
    wrangler(["deploy", "--dry-run", "--env", ENV, "--outdir", join(root, ".wrangler", "deploy-check")]);
    return;
  }
  say("deploy: wrangler deploy --env production");
  const deployed = wrangler(["deploy", "--env", ENV]);
  const workersDev = /https:\/\/\S+\.workers\.dev/.exec(deployed.stdout)?.[0];

  // 7. Health
  const base = process.env.PULSE_URL ?? workersDev ?? config.publicUrl;
  if (!base) {
    say("deployed; set PULSE_URL to check /api/v1/health");
    return;
  }
  for (let attempt = 1; attempt <= 10; attempt++) {
    try {
      const response = await fetch(new URL("/api/v1/health", base), { signal: AbortSignal.timeout(10_000) });
      const body = await response.text();
      if (response.ok) {
        say(`healthy at ${base}: ${body}`);
        return;
      }
      say(`health: HTTP ${response.status} ${body.slice(0, 300)}`);
    } catch (error) {
      say(`health: ${error instanceof Error ? error.message : String(error)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 3_000));
  }
  fail(`deployed, but ${base}/api/v1/health did not answer 200`);
}

await main();
