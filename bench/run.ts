/**
 * `npm run bench [-- suite…] [--quick]` — runs the benchmark suites (all by default), prints a
 * table per suite and writes bench/results/<suite>.json. BENCH_DATABASE_URL selects a Postgres
 * server instead of the embedded PGlite. `--quick` skips the largest sizes (the 500,000-event burst).
 * `--help` lists the suites and the environment variables they read.
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

const USAGE = `npm run bench [-- suite…] [--quick] [--name=value…]

Suites (all by default): latency, cold-start, ingest, kpi, exact, live, dashboard, alerts, ask, soak.
Results: a table per suite, and bench/results/<suite>.json.

Environment:
  BENCH_DATABASE_URL          a Postgres server (else the machine's on 127.0.0.1:5432, else PGlite)
  BENCH_VERBOSE=1             show wrangler's output
  kpi: BENCH_KPI_SIZES        sales per stage (default 1000000,5000000 on a server)
  kpi: BENCH_KPI_TEMPLATE     a database name, e.g. pulse_kpi_5m_template: the first size's history is
                              generated into it once (~15 min at 5 M) and kept; later runs copy it
                              (CREATE DATABASE … TEMPLATE, seconds) when its migration level, sales
                              and last day still match, else generate it again. Drop it by hand.
  kpi: BENCH_KPI_SAMPLES, BENCH_KPI_FILTER_SAMPLES   requests per case (200, 50)`;

if (args.includes("--help") || args.includes("-h")) {
  console.log(USAGE);
  process.exit(0);
}

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
