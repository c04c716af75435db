/**
 * `npm run backfill -- <file.ndjson> --source NAME [--url http://127.0.0.1:8787] [--no-wait]`
 *
 * Loads history from an NDJSON file (native events or Debezium change events, one per line) through
 * the bulk endpoint: the same signature, validation and deduplication as the webhook, set-based in
 * large transactions. Once the events are committed, the live room recomputes the slices the load
 * touched (unique customers, percentiles; served as pending meanwhile): the script follows that
 * until every KPI is exact, unless `--no-wait`. The source's secret and the admin token come from `.data/credentials.json`
 * unless PULSE_SOURCE_SECRET / PULSE_ADMIN_TOKEN are set. Loading the same file twice changes nothing.
 */
import { createReadStream, existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { bulkLoad, waitExact } from "./lib/bulk-client.ts";
import { defaultCredentialsPath, readCredentials } from "./lib/credentials.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { source: { type: "string" }, url: { type: "string" }, "no-wait": { type: "boolean" } },
});
const file = positionals[0];
if (!file || !values.source) {
  console.error(
    "usage: npm run backfill -- <file.ndjson> --source NAME [--url http://127.0.0.1:8787] [--no-wait]",
  );
  process.exit(2);
}
const credentials = existsSync(defaultCredentialsPath())
  ? readCredentials(defaultCredentialsPath())
  : undefined;
const secret = process.env.PULSE_SOURCE_SECRET ?? credentials?.sources[values.source];
const adminToken = process.env.PULSE_ADMIN_TOKEN ?? credentials?.adminToken;
if (!secret || !adminToken) {
  console.error(
    `No secret for source "${values.source}" or no admin token: set PULSE_SOURCE_SECRET and PULSE_ADMIN_TOKEN, ` +
      "or create the source with PUT /api/v1/sources/NAME and add it to .data/credentials.json.",
  );
  process.exit(2);
}
const baseUrl = values.url ?? credentials?.baseUrl ?? "http://127.0.0.1:8787";
const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
const target = { baseUrl, source: values.source, secret, adminToken };
const report = await bulkLoad(target, lines, (r) =>
  process.stdout.write(`\r${r.events} events, ${Math.round(r.events / Math.max(r.seconds, 0.001))}/s`),
);
console.log(
  `\nloaded ${report.events} events in ${report.seconds.toFixed(1)} s (${Math.round(report.events / report.seconds)}/s): ` +
    `${report.processed} processed, ${report.duplicates} duplicates, ${report.rejected + report.quarantined} quarantined, ` +
    `${report.unmapped} unmapped`,
);
if (report.dirtySlices > 0 && values["no-wait"]) {
  console.log(
    `${report.dirtySlices} slices are being recomputed (unique customers, percentiles; served as pending ` +
      "meanwhile): GET /api/v1/pipeline/health shows dirty_slices going to 0.",
  );
} else if (report.dirtySlices > 0) {
  const seconds = await waitExact(target, (n) => process.stdout.write(`\r${n} slices left to recompute   `));
  console.log(`\nevery KPI exact ${seconds.toFixed(1)} s after the load`);
}
