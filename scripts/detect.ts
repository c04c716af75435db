/**
 * `npm run detect -- --input series.csv --output scores.csv [--detector streaming|seasonal|zscore]`
 *
 * Scores a `timestamp,value` series with the detectors the live room runs and writes
 * `timestamp,value,anomaly_score` (score in [0, 1], one row per input row, each from earlier rows
 * only) — the format of the Numenta Anomaly Benchmark's scorer. `streaming` (the default) is the
 * general detector; `seasonal` is the business default (hour-of-week baseline); `zscore` is the
 * seed's rolling mean ± 2σ over the previous 30 values.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { createDetector, DETECTORS, type DetectorName } from "../workers/alerts/detect/index.ts";
import { parseSeriesCsv, scoreSeries, scoresCsv } from "../workers/alerts/detect/offline.ts";

const usage = `usage: npm run detect -- --input series.csv --output scores.csv [--detector ${DETECTORS.join("|")}]`;
const { values } = parseArgs({
  options: {
    input: { type: "string" },
    output: { type: "string" },
    detector: { type: "string", default: "streaming" },
  },
});
if (!values.input || !values.output) {
  console.error(usage);
  process.exit(2);
}
if (!DETECTORS.includes(values.detector as DetectorName)) {
  console.error(`unknown detector "${values.detector}"\n${usage}`);
  process.exit(2);
}
try {
  const rows = parseSeriesCsv(readFileSync(values.input, "utf8"));
  const scores = scoreSeries(rows, createDetector(values.detector as DetectorName));
  mkdirSync(dirname(values.output), { recursive: true });
  writeFileSync(values.output, scoresCsv(rows, scores));
} catch (error) {
  console.error(`${values.input}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
