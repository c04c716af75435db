/**
 * `npm run seed:demo -- --days 730 [--speed 1] [--seed 7] [--url …]`
 *
 * Loads `days` days of the demo company's history (scripts/demo/) into a running Pulse through the
 * bulk endpoint — what `npm start` does by itself on an empty database, for a longer history.
 * The same seed and speed give the same events: loading twice changes nothing.
 */
import { parseArgs } from "node:util";
import { loadHistory } from "./demo/history.ts";
import { DemoStream } from "./demo/stream.ts";
import { defaultCredentials } from "./lib/credentials.ts";

const DAY_MS = 86_400_000;
const { values } = parseArgs({
  options: {
    days: { type: "string", default: "730" },
    speed: { type: "string", default: process.env.PULSE_DEMO_SPEED ?? "1" },
    seed: { type: "string", default: "7" },
    url: { type: "string" },
  },
});
const days = Number(values.days);
const speed = Number(values.speed);
const seed = Number(values.seed);
if (!Number.isInteger(days) || days < 1 || days > 3_650 || !(speed > 0) || !Number.isInteger(seed)) {
  console.error(
    "usage: npm run seed:demo -- --days 730 [--speed 1] [--seed 7] [--url http://127.0.0.1:8787]",
  );
  process.exit(2);
}

const credentials = defaultCredentials();
const secret = credentials.sources.demo;
if (!secret) throw new Error("credentials.json has no secret for the demo source; run `npm start` once");
const now = Date.now();
const epoch = Math.floor(now / DAY_MS) * DAY_MS - (days - 1) * DAY_MS;
const result = await loadHistory({
  target: {
    baseUrl: values.url ?? credentials.baseUrl,
    source: "demo",
    secret,
    adminToken: credentials.adminToken,
  },
  stream: new DemoStream({ seed, epoch, speed }),
  from: epoch,
  to: now,
  withCatalog: true,
  onProgress: (share, events, seconds) =>
    process.stdout.write(
      `\r${Math.floor(share * 100)} %, ${events} events, ${Math.round(events / Math.max(seconds, 0.001))}/s`,
    ),
});
console.log(
  `\nseeded ${days} days: ${result.events} events (${result.processed} new, ${result.duplicates} already there) ` +
    `in ${result.seconds.toFixed(1)} s (${Math.round(result.events / result.seconds)}/s)`,
);
