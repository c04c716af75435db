/**
 * `npm run seed:demo -- --days 730 [--per-day 1000] [--url …]`
 *
 * Fills the running Pulse (started with `npm start`) with realistic history for the demo source:
 * the demo catalog (customers, products, sales reps) and `--days` days of sales up to yesterday,
 * shaped like the live demo traffic — business hours, quiet weekends — plus yearly seasonality,
 * steady growth and a few injected anomalies (a spike and a dip), so trends, comparisons and
 * anomaly markers have something to show. Deterministic for a given --seed; loading it twice
 * changes nothing.
 */
import { parseArgs } from "node:util";
import { demoCatalog, type NativeEvent, prng, rateAt, SaleGenerator } from "./demo-source.ts";
import { bulkLoad } from "./lib/bulk-client.ts";
import { catalogEvents } from "./lib/catalog-events.ts";
import { defaultCredentials } from "./lib/credentials.ts";

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

/** The day's weight: growth over the period, a yearly season (Q4 high, summer low) and anomalies. */
function dayWeight(day: Date, index: number): number {
  const growth = 0.7 + 0.6 * (index / days);
  const yearAngle = ((day.getUTCMonth() * 30.5 + day.getUTCDate()) / 365) * 2 * Math.PI;
  const season = 1 + 0.18 * Math.cos(yearAngle - (11 / 12) * 2 * Math.PI);
  const fromEnd = days - index;
  const anomaly = fromEnd === 45 ? 2.6 : fromEnd === 120 ? 0.3 : fromEnd === 300 ? 2.1 : 1;
  return growth * season * anomaly;
}

function* history(seed: number): Generator<string> {
  const catalog = demoCatalog();
  for (const event of catalogEvents(catalog)) yield JSON.stringify(event);
  const random = prng(seed);
  const generator = new SaleGenerator(catalog, random);
  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  const peak = rateAt(1, new Date(Date.UTC(2026, 0, 6, 17))) * 1.6;
  for (let index = 0; index < days; index++) {
    const dayStart = today - (days - index) * 86_400_000;
    const day = new Date(dayStart);
    const target = Math.round(
      perDay * dayWeight(day, index) * (rateAt(1, new Date(dayStart + 43_200_000)) / 1.1),
    );
    const times: number[] = [];
    while (times.length < target) {
      // Rejection sampling against the live traffic's hourly and weekly shape.
      const t = dayStart + random() * 86_400_000;
      if (random() * peak < rateAt(1, new Date(t))) times.push(t);
    }
    times.sort((a, b) => a - b);
    for (const t of times) {
      const event: NativeEvent = generator.next(new Date(t));
      generator.delivered([event]);
      yield JSON.stringify(event);
    }
  }
}

const credentials = defaultCredentials();
const baseUrl = values.url ?? credentials.baseUrl;
const started = Date.now();
const report = await bulkLoad(
  { baseUrl, source: "demo", secret: credentials.sources.demo!, adminToken: credentials.adminToken },
  history(Number(values.seed)),
  (r) => process.stdout.write(`\r${r.events} events, ${Math.round(r.events / Math.max(r.seconds, 0.001))}/s`),
);
console.log(
  `\nseeded ${days} days: ${report.events} events (${report.processed} new, ${report.duplicates} already there) ` +
    `in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
