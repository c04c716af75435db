/**
 * `npm run bench [-- suite…] [--quick]` — runs the benchmark suites (all by default), prints a
 * table per suite and writes bench/results/<suite>.json. BENCH_DATABASE_URL selects a Postgres
 * server instead of the embedded PGlite. `--quick` skips the largest sizes (the 500,000-event burst).
 */
import { benchAlerts } from "./alerts.ts";
import { benchAsk } from "./ask.ts";
import { benchColdStart } from "./cold-start.ts";
import { benchDashboard } from "./dashboard.ts";
import { benchExact } from "./exact.ts";
import { benchIngest } from "./ingest.ts";
import { benchKpi } from "./kpi.ts";
import { benchLatency } from "./latency.ts";
import { benchLive } from "./live.ts";
import { benchSoak } from "./soak.ts";

const args = process.argv.slice(2);
const quick = args.includes("--quick");

const suites: Record<string, () => Promise<void>> = {
  latency: () => benchLatency(),
  "cold-start": () => benchColdStart(),
  ingest: () => benchIngest(flags),
  kpi: () => benchKpi(),
  exact: () => benchExact({ quick }),
  live: () => benchLive(),
  dashboard: () => benchDashboard(flags),
  alerts: () => benchAlerts(),
  ask: () => benchAsk(),
  soak: () => benchSoak(flags),
};

// `--name=value` flags go to the suites (`soak --minutes=5`); the other arguments name suites.
const flags = args.filter((a) => a.startsWith("--"));
const wanted = args.filter((a) => !a.startsWith("--"));
for (const name of wanted.length > 0 ? wanted : Object.keys(suites)) {
  const suite = suites[name];
  if (!suite) {
    console.error(`unknown suite "${name}"; choose from: ${Object.keys(suites).join(", ")}`);
    process.exit(2);
  }
  await suite();
}
