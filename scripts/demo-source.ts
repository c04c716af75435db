import { fileURLToPath } from "node:url";
import type { SaleFields as SalePayload } from "../workers/ingest/entities.ts";
import { signedHeaders } from "../workers/ingest/signature.ts";
import { catalogEvents } from "./lib/catalog-events.ts";

// ---------------------------------------------------------------------------------------------
// Deterministic pools

/** mulberry32: a small, fast, seedable PRNG; returns floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A version-4-shaped UUID drawn from `random` (deterministic for a seeded PRNG). */
function uuidFrom(random: () => number): string {
  const bytes = Array.from({ length: 16 }, () => Math.floor(random() * 256));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function pickWeighted<T>(items: readonly T[], weight: (item: T) => number, random: () => number): T {
  let total = 0;
  for (const item of items) total += weight(item);
  let r = random() * total;
  for (const item of items) {
    r -= weight(item);
    if (r < 0) return item;
  }
  return items[items.length - 1]!;
}

function between(random: () => number, min: number, max: number): number {
  return min + random() * (max - min);
}

const cents = (value: number) => Math.round(value * 100) / 100;

export type Region = "NA" | "EMEA" | "APAC" | "LATAM";
export type Segment = "Enterprise" | "SMB" | "Consumer";
export type Category = "Software" | "Hardware" | "Services" | "Accessories" | "Training";

export const REGION_WEIGHTS: Record<Region, number> = { NA: 0.38, EMEA: 0.32, APAC: 0.2, LATAM: 0.1 };
const SEGMENT_WEIGHTS: Record<Segment, number> = { Enterprise: 0.15, SMB: 0.35, Consumer: 0.5 };

export interface Customer {
  id: string;
  name: string;
  segment: Segment;
  region: Region;
  /** How often this customer buys, relative to the others. */
  activity: number;
}
export interface Product {
  id: string;
  name: string;
  category: Category;
  unitPrice: number;
  unitCost: number;
}
export interface SalesRep {
  id: string;
  name: string;
  region: Region;
}

/** Price range, cost ratio and appeal per segment of each category. */
const CATEGORIES: Record<
  Category,
  { price: [number, number]; costRatio: [number, number]; appeal: Record<Segment, number>; names: string[] }
> = {
  Software: {
    price: [49, 1_200],
    costRatio: [0.08, 0.25],
    appeal: { Enterprise: 3, SMB: 2, Consumer: 0.6 },
    names: [
      "Analytics Suite",
      "Backup Pro",
      "Security Cloud",
      "CRM Seat",
      "Design Studio",
      "Dev Toolkit",
      "Office Plan",
      "VPN Pro",
    ],
  },
  Hardware: {
    price: [89, 2_400],
    costRatio: [0.55, 0.78],
    appeal: { Enterprise: 1.5, SMB: 1.5, Consumer: 1.2 },
    names: [
      "Laptop 14",
      "Laptop 16",
      "Monitor 27",
      "Docking Station",
      "Mini PC",
      "Tablet 11",
      "NAS 4-Bay",
      "Router AX",
    ],
  },
  Services: {
    price: [150, 4_500],
    costRatio: [0.45, 0.65],
    appeal: { Enterprise: 2.5, SMB: 1, Consumer: 0.1 },
    names: [
      "Onboarding",
      "Premium Support",
      "Migration Package",
      "Health Check",
      "Managed Backup",
      "Consulting Day",
      "Audit",
      "Custom Integration",
    ],
  },
  Accessories: {
    price: [9, 180],
    costRatio: [0.3, 0.5],
    appeal: { Enterprise: 0.6, SMB: 1.2, Consumer: 3 },
    names: [
      "USB-C Cable",
      "Wireless Mouse",
      "Keyboard",
      "Headset",
      "Webcam HD",
      "Laptop Sleeve",
      "Charger 65W",
      "Stand",
    ],
  },
  Training: {
    price: [39, 900],
    costRatio: [0.25, 0.45],
    appeal: { Enterprise: 1, SMB: 0.8, Consumer: 0.5 },
    names: [
      "Admin Course",
      "Analytics Basics",
      "Security Awareness",
      "Power User",
      "Certification Exam",
      "Workshop",
      "Webinar Pass",
      "Bootcamp",
    ],
  },
};

const COMPANY_WORDS = [
  "Acme",
  "Globex",
  "Initech",
  "Umbrella",
  "Stark",
  "Wayne",
  "Hooli",
  "Vandelay",
  "Soylent",
  "Tyrell",
  "Cyberdyne",
  "Wonka",
  "Aperture",
  "Oscorp",
  "Gringotts",
  "Pied Piper",
  "Massive",
  "Blue Sun",
  "Monarch",
  "Nakatomi",
];
const COMPANY_SUFFIX = ["Ltd", "GmbH", "Inc", "SA", "KK", "Pty", "LLC", "BV"];
const FIRST = [
  "Ana",
  "Ben",
  "Chen",
  "Dana",
  "Emre",
  "Fatima",
  "Goran",
  "Hana",
  "Ivan",
  "Julia",
  "Kofi",
  "Lea",
  "Mateo",
  "Nora",
  "Omar",
  "Priya",
  "Quinn",
  "Rosa",
  "Sven",
  "Tariq",
  "Uma",
  "Viktor",
  "Wen",
  "Yusuf",
  "Zoe",
];
const LAST = [
  "Almeida",
  "Brown",
  "Costa",
  "Dubois",
  "Eriksson",
  "Fischer",
  "Garcia",
  "Haddad",
  "Ito",
  "Jensen",
  "Kim",
  "Lopez",
  "Mendes",
  "Nakamura",
  "Okafor",
  "Petrov",
  "Rossi",
  "Schmidt",
  "Tanaka",
  "Weber",
];

export interface DemoCatalog {
  customers: Customer[];
  products: Product[];
  reps: SalesRep[];
}

/** The fixed pools: the same seed gives the same ids, names and prices on every start. */
export function demoCatalog(seed = 0x9e15e): DemoCatalog {
  const random = prng(seed);
  const regions = Object.keys(REGION_WEIGHTS) as Region[];
  const segments = Object.keys(SEGMENT_WEIGHTS) as Segment[];

  const products: Product[] = [];
  for (const category of Object.keys(CATEGORIES) as Category[]) {
    const spec = CATEGORIES[category];
    for (const name of spec.names) {
      // Log-uniform prices: many cheap items, a few expensive ones.
      const price = Math.exp(between(random, Math.log(spec.price[0]), Math.log(spec.price[1])));
      const unitPrice = Math.max(1, Math.round(price)) - 0.01;
      products.push({
        id: uuidFrom(random),
        name,
        category,
        unitPrice: cents(unitPrice),
        unitCost: cents(unitPrice * between(random, ...spec.costRatio)),
      });
    }
  }

  const customers: Customer[] = [];
  for (let i = 0; i < 200; i++) {
    const segment = pickWeighted(segments, (s) => SEGMENT_WEIGHTS[s], random);
    const region = pickWeighted(regions, (r) => REGION_WEIGHTS[r], random);
    const name =
      segment === "Consumer"
        ? `${FIRST[Math.floor(random() * FIRST.length)]} ${LAST[Math.floor(random() * LAST.length)]}`
        : `${COMPANY_WORDS[Math.floor(random() * COMPANY_WORDS.length)]} ${segment === "SMB" ? "& Co" : "Group"} ${COMPANY_SUFFIX[Math.floor(random() * COMPANY_SUFFIX.length)]}`;
    // A heavy tail: a few customers account for much of the business, as in real shops.
    const activity = (segment === "Enterprise" ? 3 : segment === "SMB" ? 1.5 : 1) / (0.2 + random()) ** 1.2;
    customers.push({ id: uuidFrom(random), name, segment, region, activity });
  }

  const repRegions: Region[] = ["NA", "NA", "NA", "EMEA", "EMEA", "APAC", "APAC", "LATAM"];
  const reps: SalesRep[] = repRegions.map((region) => ({
    id: uuidFrom(random),
    name: `${FIRST[Math.floor(random() * FIRST.length)]} ${LAST[Math.floor(random() * LAST.length)]}`,
    region,
  }));
  return { customers, products, reps };
}

// ---------------------------------------------------------------------------------------------
// Traffic shape

/** Relative activity by UTC hour: quiet at night, peaking when EMEA afternoon meets NA morning. */
function hourFactor(hourUtc: number): number {
  // Bell curves around each region's business hours, on the 24-hour circle.
  const bell = (center: number, width: number) =>
    Math.exp(-(((((hourUtc - center + 36) % 24) - 12) / width) ** 2));
  return 0.25 + bell(11, 3.5) + bell(17, 3.5) + 0.5 * bell(4, 3);
}
/** Relative activity by UTC weekday (0 = Sunday). */
const WEEKDAY_FACTOR = [0.45, 1.0, 1.05, 1.05, 1.0, 0.9, 0.5];

function rawFactor(at: Date): number {
  const hour = at.getUTCHours() + at.getUTCMinutes() / 60;
  return hourFactor(hour) * (WEEKDAY_FACTOR[at.getUTCDay()] ?? 1);
}

/** Mean of `rawFactor` over a week, so that `rateAt` averages to the configured rate. */
const WEEK_MEAN = (() => {
  let sum = 0;
  let n = 0;
  const start = Date.UTC(2026, 0, 4); // a Sunday
  for (let t = start; t < start + 7 * 86_400_000; t += 600_000) {
    sum += rawFactor(new Date(t));
    n++;
  }
  return sum / n;
})();

/** Events per second at `at` for an average of `averageRate` over a week (never below 20 %). */
export function rateAt(averageRate: number, at: Date): number {
  return averageRate * Math.max(0.2, rawFactor(at) / WEEK_MEAN);
}

// ---------------------------------------------------------------------------------------------
// Events

export interface NativeEvent {
  event_type: "INSERT" | "UPDATE" | "DELETE";
  entity: "sale";
  event_timestamp: string;
  payload: Record<string, unknown>;
}

type SaleFields = Omit<SalePayload, "discount" | "sales_rep_id"> & {
  discount: number;
  sales_rep_id: string | null;
};

const BATCH_SIZES = [1, 2, 3, 4, 5];
const BATCH_WEIGHTS = [0.35, 0.25, 0.18, 0.12, 0.1];
const MEAN_BATCH = BATCH_SIZES.reduce((sum, size, i) => sum + size * (BATCH_WEIGHTS[i] ?? 0), 0);
const RECENT_LIMIT = 500;

/** Generates sales and their later corrections; `random` drives every choice. */
export class SaleGenerator {
  private readonly catalog: DemoCatalog;
  private readonly random: () => number;
  private readonly productsBySegment: Map<Segment, { product: Product; weight: number }[]>;
  /** Recently posted, still live sales: the ones UPDATEs and DELETEs pick from. */
  private readonly recent: SaleFields[] = [];

  constructor(catalog: DemoCatalog, random: () => number = Math.random) {
    this.catalog = catalog;
    this.random = random;
    this.productsBySegment = new Map();
    for (const segment of Object.keys(SEGMENT_WEIGHTS) as Segment[]) {
      this.productsBySegment.set(
        segment,
        catalog.products.map((product) => ({
          product,
          // Cheaper items sell more often within a category.
          weight: CATEGORIES[product.category].appeal[segment] / Math.sqrt(product.unitPrice),
        })),
      );
    }
  }

  batchSize(): number {
    return pickWeighted(BATCH_SIZES, (size) => BATCH_WEIGHTS[size - 1] ?? 0, this.random);
  }

  /** The next event at `now`: mostly new sales, sometimes a correction or a cancellation. */
  next(now: Date): NativeEvent {
    const r = this.random();
    if (r < 0.005 && this.recent.length > 0) return this.deletion(now);
    if (r < 0.025 && this.recent.length > 0) return this.update(now);
    return this.insert(now);
  }

  /** Marks events as delivered: only delivered sales are candidates for later corrections. */
  delivered(events: readonly NativeEvent[]): void {
    for (const event of events) {
      const sale = event.payload as unknown as SaleFields;
      const at = this.recent.findIndex((s) => s.sale_id === sale.sale_id);
      if (event.event_type === "DELETE") {
        if (at >= 0) this.recent.splice(at, 1);
      } else if (at >= 0) {
        this.recent[at] = sale;
      } else {
        this.recent.push(sale);
        if (this.recent.length > RECENT_LIMIT) this.recent.shift();
      }
    }
  }

  private insert(now: Date): NativeEvent {
    const random = this.random;
    const customer = pickWeighted(this.catalog.customers, (c) => c.activity, random);
    const { product } = pickWeighted(this.productsBySegment.get(customer.segment)!, (p) => p.weight, random);
    let quantity = pickWeighted([1, 2, 3, 4, 5], (q) => [0.45, 0.25, 0.14, 0.09, 0.07][q - 1] ?? 0, random);
    if (customer.segment === "Enterprise" && random() < 0.1) quantity = 10 + Math.floor(random() * 16);
    const discountChance =
      customer.segment === "Enterprise" ? 0.25 : customer.segment === "SMB" ? 0.12 : 0.06;
    const discount =
      random() < discountChance
        ? cents(quantity * product.unitPrice * pickWeighted([0.05, 0.1, 0.15, 0.2], () => 1, random))
        : 0;
    const regionReps = this.catalog.reps.filter((rep) => rep.region === customer.region);
    // Consumers mostly buy online, without a rep.
    const withRep = customer.segment !== "Consumer" || random() < 0.2;
    const rep =
      withRep && regionReps.length > 0 ? regionReps[Math.floor(random() * regionReps.length)] : undefined;
    const sale: SaleFields = {
      sale_id: crypto.randomUUID(),
      customer_id: customer.id,
      product_id: product.id,
      sale_timestamp: new Date(now.getTime() - Math.round(between(random, 500, 8_000))).toISOString(),
      quantity,
      unit_price: product.unitPrice,
      discount,
      unit_cost: product.unitCost,
      currency_code: "USD",
      region: customer.region,
      sales_rep_id: rep?.id ?? null,
    };
    return { event_type: "INSERT", entity: "sale", event_timestamp: now.toISOString(), payload: { ...sale } };
  }

  private update(now: Date): NativeEvent {
    const original = this.recent[Math.floor(this.random() * this.recent.length)]!;
    const sale: SaleFields = { ...original };
    if (this.random() < 0.7 || sale.discount === 0) {
      const change = this.random() < 0.5 && sale.quantity > 1 ? -1 : 1 + Math.floor(this.random() * 2);
      sale.quantity = Math.max(1, sale.quantity + change);
    } else {
      sale.discount = cents(sale.discount / 2);
    }
    return { event_type: "UPDATE", entity: "sale", event_timestamp: now.toISOString(), payload: { ...sale } };
  }

  private deletion(now: Date): NativeEvent {
    const original = this.recent[Math.floor(this.random() * this.recent.length)]!;
    return {
      event_type: "DELETE",
      entity: "sale",
      event_timestamp: now.toISOString(),
      payload: { sale_id: original.sale_id },
    };
  }
}

/** Encodes a batch the way different source systems do: JSON array, NDJSON or one object. */
export function encodeBatch(
  events: readonly NativeEvent[],
  random: () => number,
): { body: string; contentType: string } {
  const r = random();
  if (events.length === 1 && r < 0.3)
    return { body: JSON.stringify(events[0]), contentType: "application/json" };
  if (r < 0.65) return { body: JSON.stringify(events), contentType: "application/json" };
  return {
    body: `${events.map((e) => JSON.stringify(e)).join("\n")}\n`,
    contentType: "application/x-ndjson",
  };
}

// ---------------------------------------------------------------------------------------------
// The sender

export interface DemoSourceOptions {
  baseUrl: string;
  source?: string;
  secret: string;
  /** Average events per second over a week (default 3); the current rate follows the clock. */
  ratePerSecond?: number;
  signal: AbortSignal;
  log?: (line: string) => void;
  /** How often to log totals (default 30 s). */
  logEveryMs?: number;
}

export interface DemoStats {
  requests: number;
  events: number;
  inserts: number;
  updates: number;
  deletes: number;
  failedRequests: number;
  /** Gross value of the inserted sales (quantity × unit price), USD. */
  salesValue: number;
}

export interface DemoSource {
  /** Settles once the sender has stopped (after the signal aborted). */
  done: Promise<void>;
  stats(): DemoStats;
}

export function startDemoSource(options: DemoSourceOptions): DemoSource {
  const stats: DemoStats = {
    requests: 0,
    events: 0,
    inserts: 0,
    updates: 0,
    deletes: 0,
    failedRequests: 0,
    salesValue: 0,
  };
  const done = run(options, stats).catch((error: unknown) => {
    if (!options.signal.aborted) (options.log ?? console.log)(`demo source stopped: ${String(error)}`);
  });
  return { done, stats: () => ({ ...stats }) };
}

async function run(options: DemoSourceOptions, stats: DemoStats): Promise<void> {
  const { signal } = options;
  const log = options.log ?? ((line: string) => console.log(`[demo] ${line}`));
  const source = options.source ?? "demo";
  const average = options.ratePerSecond ?? 3;
  const url = `${options.baseUrl.replace(/\/$/, "")}/api/v1/cdc/${encodeURIComponent(source)}`;
  const random = Math.random;
  const generator = new SaleGenerator(demoCatalog(), random);

  const logEvery = options.logEveryMs ?? 30_000;
  let lastLog = Date.now();
  let lastLogged = { ...stats };
  const report = () => {
    const seconds = (Date.now() - lastLog) / 1000;
    const events = stats.events - lastLogged.events;
    log(
      `posted ${events} events in ${stats.requests - lastLogged.requests} requests over the last ${Math.round(seconds)} s ` +
        `(${(events / seconds).toFixed(1)}/s, target now ${rateAt(average, new Date()).toFixed(1)}/s); ` +
        `totals: ${stats.inserts} sales ($${stats.salesValue.toFixed(2)}), ${stats.updates} updates, ` +
        `${stats.deletes} deletes, ${stats.failedRequests} failed requests`,
    );
    lastLog = Date.now();
    lastLogged = { ...stats };
  };
  const timer = setInterval(report, logEvery);
  timer.unref();

  log(`posting ~${average}/s on average (now ${rateAt(average, new Date()).toFixed(1)}/s) to ${url}`);
  // The catalog first (regions, reps, products, customers), so sales land under their real segments
  // and categories; on later starts these events are duplicates and change nothing.
  const catalogBody = JSON.stringify(catalogEvents(demoCatalog()));
  for (let attempt = 0; !signal.aborted; attempt++) {
    const outcome = await post(
      url,
      options.secret,
      "msg_demo_catalog",
      catalogBody,
      "application/json",
      signal,
    );
    if (outcome.ok) break;
    log(`posting the catalog failed: ${outcome.detail}; retrying`);
    await sleep(Math.min(10_000, 500 * 2 ** attempt), signal);
  }
  let failures = 0;
  try {
    while (!signal.aborted) {
      // Poisson arrivals: events come at `rate`/s, grouped into requests of ~MEAN_BATCH events.
      const rate = rateAt(average, new Date());
      await sleep(-Math.log(1 - random()) * (MEAN_BATCH / rate) * 1000, signal);
      if (signal.aborted) break;

      const size = generator.batchSize();
      const now = new Date();
      const events: NativeEvent[] = [];
      for (let i = 0; i < size; i++) {
        const event = generator.next(now);
        // One correction per sale per request: two events for a sale with the same time are ambiguous.
        const key = event.payload.sale_id;
        if (events.some((e) => e.payload.sale_id === key)) continue;
        events.push(event);
      }
      const { body, contentType } = encodeBatch(events, random);
      const webhookId = `msg_${crypto.randomUUID()}`;

      // Retry the same message (same webhook-id, fresh signature) until it is accepted or dropped.
      for (;;) {
        if (signal.aborted) return;
        const outcome = await post(url, options.secret, webhookId, body, contentType, signal);
        stats.requests++;
        if (outcome.ok) {
          if (outcome.warning) log(outcome.warning);
          failures = 0;
          generator.delivered(events);
          stats.events += events.length;
          for (const event of events) {
            if (event.event_type === "INSERT") {
              stats.inserts++;
              const sale = event.payload as unknown as SaleFields;
              stats.salesValue += sale.quantity * sale.unit_price;
            } else if (event.event_type === "UPDATE") stats.updates++;
            else stats.deletes++;
          }
          break;
        }
        if (signal.aborted) return;
        stats.failedRequests++;
        failures++;
        const backoff = Math.min(30_000, 500 * 2 ** Math.min(failures, 6)) * between(random, 0.8, 1.2);
        log(
          `POST ${url} failed: ${outcome.detail}; ${outcome.retry ? "retrying" : "dropping this batch, continuing"} ` +
            `in ${(backoff / 1000).toFixed(1)} s`,
        );
        await sleep(backoff, signal);
        if (!outcome.retry) break;
      }
    }
  } finally {
    clearInterval(timer);
  }
}

async function post(
  url: string,
  secret: string,
  webhookId: string,
  body: string,
  contentType: string,
  signal: AbortSignal,
): Promise<{ ok: true; warning?: string } | { ok: false; retry: boolean; detail: string }> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": contentType, ...signedHeaders(secret, body, webhookId) },
      body,
      signal: AbortSignal.any([signal, AbortSignal.timeout(15_000)]),
    });
    const text = await response.text();
    if (response.ok) {
      // Partly accepted: the invalid events are quarantined; that would be a bug in this generator.
      let rejected = 0;
      try {
        rejected = Number((JSON.parse(text) as { rejected?: number }).rejected ?? 0);
      } catch {
        // not the documented answer; the request was accepted all the same
      }
      return rejected > 0
        ? { ok: true, warning: `${rejected} events rejected: ${text.slice(0, 500)}` }
        : { ok: true };
    }
    // A malformed body or invalid events will not get better by resending them.
    const retry = ![400, 413, 422].includes(response.status);
    return { ok: false, retry, detail: `HTTP ${response.status} ${text.slice(0, 500)}` };
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : "";
    return {
      ok: false,
      retry: true,
      detail: `${error instanceof Error ? error.message : String(error)}${cause}`,
    };
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

// ---------------------------------------------------------------------------------------------
// Standalone

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    await standalone();
  } catch (error) {
    console.error(`[demo] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

async function standalone(): Promise<void> {
  const { readCredentials, DEMO_SOURCE, defaultCredentialsPath } = await import("./lib/credentials.ts");
  const path = defaultCredentialsPath();
  const credentials = readCredentials(path);
  const rateArg = process.argv.indexOf("--rate");
  const rate = Number(rateArg > 0 ? process.argv[rateArg + 1] : (process.env.PULSE_DEMO_RATE ?? 3));
  const secret = credentials.sources[DEMO_SOURCE];
  if (!secret) throw new Error(`${path} has no secret for source "${DEMO_SOURCE}"`);
  if (!(rate > 0)) throw new Error("--rate must be a positive number of events per second");

  const controller = new AbortController();
  const demo = startDemoSource({
    baseUrl: process.env.PULSE_BASE_URL ?? credentials.baseUrl,
    source: DEMO_SOURCE,
    secret,
    ratePerSecond: rate,
    signal: controller.signal,
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => controller.abort());
  }
  await demo.done;
  const s = demo.stats();
  console.log(
    `[demo] stopped: ${s.events} events in ${s.requests} requests (${s.inserts} sales, ${s.updates} updates, ${s.deletes} deletes)`,
  );
}
