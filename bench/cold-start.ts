/**
 * `npm start` start-up time: from launching the launcher to the dashboard page and the health
 * endpoint answering, on a fresh data folder (cold: PGlite initdb, migrations, credentials) and on
 * the same folder again (warm). PULSE_DEMO=off, so nothing but start-up is measured.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, spawnGroup, waitForHttpOk } from "../scripts/lib/processes.ts";
import { projectRoot } from "../scripts/lib/wrangler-dev.ts";
import { type Row, report } from "./lib/report.ts";

async function timeStart(dataDir: string, port: number): Promise<number> {
  const t0 = performance.now();
  const launcher = spawnGroup(process.execPath, [join(projectRoot, "scripts/start.ts")], {
    cwd: projectRoot,
    env: { ...process.env, PORT: String(port), PULSE_DEMO: "off", PULSE_DATA_DIR: dataDir, DATABASE_URL: "" },
    onLine: () => undefined,
  });
  try {
    await waitForHttpOk(`http://127.0.0.1:${port}/`, { timeoutMs: 180_000, giveUp: launcher.exited });
    await waitForHttpOk(`http://127.0.0.1:${port}/api/v1/health`, {
      timeoutMs: 10_000,
      giveUp: launcher.exited,
    });
    return performance.now() - t0;
  } finally {
    await launcher.stop(10_000);
  }
}

export async function benchColdStart(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "pulse-start-"));
  try {
    const port = await freePort();
    const cold = await timeStart(dataDir, port);
    const warm = await timeStart(dataDir, port);
    const rows: Row[] = [
      {
        metric: "npm start, cold (fresh data folder)",
        value: Math.round(cold),
        unit: "ms",
        target: "≤ 60 s",
      },
      { metric: "npm start, warm (existing data folder)", value: Math.round(warm), unit: "ms" },
    ];
    report("cold-start", rows);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
