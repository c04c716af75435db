/** The launcher's build check: the dashboard is rebuilt only when web/ changed since the last build. */
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { type GroupProcess, spawnGroup } from "./processes.ts";

export interface WebBuildOptions {
  root: string;
  say: (line: string) => void;
  verbose: boolean;
  /** The build's process while it runs (undefined once done), so a shutdown can stop it. */
  track: (build: GroupProcess | undefined) => void;
}

/** Builds the dashboard when web/ has a Vite config and changed since the last build. */
export async function ensureWebBuild({ root, say, verbose, track }: WebBuildOptions): Promise<void> {
  const web = join(root, "web");
  const dist = join(web, "dist");
  const config = join(web, "vite.config.ts");
  mkdirSync(dist, { recursive: true });
  if (!existsSync(config)) {
    say("web/ has no vite.config.ts yet: serving the API without a dashboard");
    return;
  }
  const index = join(dist, "index.html");
  const built = existsSync(index) ? statSync(index).mtimeMs : 0;
  const newest = newestMtime(web, new Set([dist, join(web, "node_modules")]));
  if (built >= newest) return;
  const t = performance.now();
  say(built ? "web/ changed since the last build: building the dashboard…" : "building the dashboard…");
  const build = spawnGroup(
    process.execPath,
    [join(root, "node_modules/vite/bin/vite.js"), "build", "--config", config],
    {
      cwd: root,
      onLine: (line) => {
        if (verbose || /error|warn|fail/i.test(line)) console.log(`[vite] ${line}`);
      },
    },
  );
  track(build);
  const code = await build.exited;
  track(undefined);
  if (code !== 0) {
    say(
      `the dashboard build failed (exit ${code}; run \`npm run build\` to see why): ${existsSync(index) ? "serving the previous build" : "serving the API only"}`,
    );
    return;
  }
  say(`dashboard built in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

function newestMtime(dir: string, skip: Set<string>): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (skip.has(path)) continue;
    const mtime = entry.isDirectory() ? newestMtime(path, skip) : statSync(path).mtimeMs;
    if (mtime > newest) newest = mtime;
  }
  return newest;
}
