/**
 * `npm run seed:demo -- --days 730 [--per-day 1000] [--seed 7] [--url …]`
 *
 * Fills the running Pulse (started with `npm start`) with realistic history for the demo source
 * (see scripts/lib/history.ts) through the bulk endpoint. Loading it twice changes nothing.
 */
import { parseArgs } from "node:util";
import { bulkLoad } from "./lib/bulk-client.ts";
import { defaultCredentials } from "./lib/credentials.ts";
import { historyEvents } from "./lib/history.ts";

const { values } = parseArgs({
  options: {
    days: { type: "string", default: "730" },
    "per-day": { type: "string", default: "1000" },
    seed: { type: "string", default: "7" },
    url: { type: "string" },
  },
});
const days = Number(values.days);
const perDay = Number(values["per-day"]);
if (!Number.isInteger(days) || days < 1 || days > 3_650 || !Number.isFinite(perDay) || perDay <= 0) {
  console.error(
    "usage: npm run seed:demo -- --days 730 [--per-day 1000] [--seed 7] [--url http://127.0.0.1:8787]",
  );
  process.exit(2);
}

function* lines(): Generator<string> {
  for (const event of historyEvents({ days, perDay, seed: Number(values.seed) })) yield JSON.stringify(event);
}

const credentials = defaultCredentials();
const secret = credentials.sources.demo;
if (!secret) throw new Error("credentials.json has no secret for the demo source; run `npm start` once");
const report = await bulkLoad(
  { baseUrl: values.url ?? credentials.baseUrl, source: "demo", secret, adminToken: credentials.adminToken },
  lines(),
  (r) => process.stdout.write(`\r${r.events} events, ${Math.round(r.events / Math.max(r.seconds, 0.001))}/s`),
);
console.log(
  `\nseeded ${days} days: ${report.events} events (${report.processed} new, ${report.duplicates} already there) ` +
    `in ${report.seconds.toFixed(1)} s (${Math.round(report.events / report.seconds)}/s)`,
);
