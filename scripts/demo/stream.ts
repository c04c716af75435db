/**
 * The demo company's change events in time order, as a pure function of (seed, epoch, speed):
 * the history and the live demo are the same stream, so the live demo continues the history at
 * its rate and rhythm, and events loaded twice are recognised as duplicates (same content, same
 * checksum). `until(t)` hands out every event before `t`, generating a minute at a time: per
 * region and channel a Poisson number of orders around the rhythm's expectation, each with its
 * customer (a new one first posts its customer record), its sale and maybe a later correction.
 */
import { type Catalog, type Category, demoCatalog, REGION_CODES, REGIONS, type Region } from "./catalog.ts";
import { type Customer, CustomerBase } from "./customers.ts";
import type { IncidentPlan } from "./incidents.ts";
import { mix, poisson, prng, type Random } from "./random.ts";
import { CHANNELS, type Channel, ORDERS_PER_DAY, Rhythm } from "./rhythm.ts";
import { type Sale, SaleMaker } from "./sales.ts";

export interface NativeEvent {
  event_type: "INSERT" | "UPDATE" | "DELETE";
  entity: "sale" | "customer" | "product" | "sales_rep" | "region";
  event_timestamp: string;
  payload: Record<string, unknown>;
}

export interface StreamOptions {
  seed: number;
  /** First instant of the history (epoch ms). */
  epoch: number;
  /** Multiplies the order rate (1 ≈ 750 orders a day). */
  speed: number;
  /** Staged live incidents; none in the history. */
  incidents?: IncidentPlan | null;
}

/** Catalog records carry a fixed time, so posting them again changes nothing. */
const CATALOG_TIME = "2020-01-01T00:00:00.000Z";
/** Customers who bought before the history, per order a day (returning orders from day one). */
const BASE_CUSTOMERS_PER_DAILY_ORDER = 3;
const MINUTE = 60_000;

const event = (
  type: NativeEvent["event_type"],
  entity: NativeEvent["entity"],
  at: string,
  payload: Record<string, unknown>,
): NativeEvent => ({ event_type: type, entity, event_timestamp: at, payload });

function customerEvent(customer: Customer): NativeEvent {
  const at = new Date(customer.since).toISOString();
  return event("INSERT", "customer", at, {
    customer_id: customer.id,
    customer_name: customer.name,
    customer_segment: customer.segment,
    geographic_region: customer.region,
    acquisition_date: at.slice(0, 10),
  });
}

export class DemoStream {
  readonly catalog: Catalog;
  private readonly options: StreamOptions;
  private readonly random: Random;
  private readonly rhythm: Rhythm;
  private readonly customers: CustomerBase;
  private readonly sales: SaleMaker;
  /** Generated, not yet handed out, in time order (corrections can be hours ahead). */
  private pending: { at: number; event: NativeEvent }[] = [];
  /** Start of the next minute to generate. */
  private cursor: number;
  private readonly base: Customer[];

  constructor(options: StreamOptions) {
    this.options = options;
    this.catalog = demoCatalog();
    this.random = prng(mix(options.seed, 0x5a1e5));
    this.rhythm = new Rhythm(options);
    this.customers = new CustomerBase(this.random);
    this.sales = new SaleMaker(this.catalog);
    this.cursor = Math.floor(options.epoch / MINUTE) * MINUTE;
    options.incidents?.useOrderRates(
      (region, at) => CHANNELS.reduce((sum, channel) => sum + this.rhythm.expected(region, channel, at), 0),
      (at) => this.rhythm.level(at),
    );
    const baseCount = Math.round(BASE_CUSTOMERS_PER_DAILY_ORDER * ORDERS_PER_DAY * options.speed);
    this.base = this.customers.seedBase(baseCount, options.epoch - 86_400_000);
  }

  /** Regions, reps, products and the customers from before the history: post these first. */
  catalogEvents(): NativeEvent[] {
    return [
      ...REGION_CODES.map((code) =>
        event("INSERT", "region", CATALOG_TIME, { region_code: code, region_name: REGIONS[code].name }),
      ),
      ...this.catalog.reps.map((r) =>
        event("INSERT", "sales_rep", CATALOG_TIME, { sales_rep_id: r.id, name: r.name, region: r.region }),
      ),
      ...this.catalog.products.map((p) =>
        event("INSERT", "product", CATALOG_TIME, {
          product_id: p.id,
          product_name: p.name,
          category: p.category,
          unit_price: p.unitPrice,
          unit_cost: p.unitCost,
        }),
      ),
      ...this.base.map(customerEvent),
    ];
  }

  /** Orders a day at `at` at this speed, before the weekly and daily rhythm. */
  level(at: number): number {
    return this.rhythm.level(at);
  }

  /** Every event before `t` not handed out yet, in time order. */
  *until(t: number): Generator<NativeEvent> {
    while (this.cursor <= t) {
      this.generateMinute(this.cursor);
      this.cursor += MINUTE;
    }
    let due = 0;
    while (due < this.pending.length && this.pending[due]!.at < t) due++;
    const out = this.pending.slice(0, due);
    this.pending = this.pending.slice(due);
    for (const item of out) yield item.event;
  }

  private generateMinute(minute: number): void {
    const incidents = this.options.incidents;
    const arrivals: { at: number; region: Region; channel: Channel; category?: Category }[] = [];
    for (const region of REGION_CODES) {
      for (const channel of CHANNELS) {
        const factor = incidents ? incidents.rateFactor(region, channel, minute) : 1;
        const expected = this.rhythm.expected(region, channel, minute);
        const orders = poisson(expected * factor, this.random);
        for (let i = 0; i < orders; i++) {
          arrivals.push({ at: minute + Math.floor(this.random() * MINUTE), region, channel });
        }
      }
      // An incident's rush (drawn only during one, so the stream is unchanged otherwise): consumers.
      const rush = incidents?.rush(minute, region, REGIONS[region].share) ?? null;
      const extra = rush ? poisson(rush.perMinute, this.random) : 0;
      for (let i = 0; i < extra; i++) {
        const at = minute + Math.floor(this.random() * MINUTE);
        arrivals.push({ at, region, channel: "consumer", category: rush!.category ?? undefined });
      }
    }
    // In time order, so a returning customer's order never comes before their first one.
    arrivals.sort((a, b) => a.at - b.at);
    for (const { at, region, channel, category } of arrivals) {
      const { customer, isNew } = this.customers.next(region, channel, at);
      if (isNew) this.schedule(at, customerEvent(customer));
      const sale = this.sales.sale(customer, at, this.random, category);
      if (incidents) {
        const product = this.catalog.products.find((p) => p.id === sale.product_id)!;
        sale.unit_price = incidents.price(product.category, sale.unit_price, at);
      }
      this.schedule(at, event("INSERT", "sale", sale.sale_timestamp, { ...sale }));
      this.scheduleCorrection(sale, at);
    }
  }

  private scheduleCorrection(sale: Sale, at: number): void {
    const correction = this.sales.correction(sale, at, this.random);
    if (!correction) return;
    const when = new Date(correction.at).toISOString();
    this.schedule(
      correction.at,
      correction.sale
        ? event("UPDATE", "sale", when, { ...correction.sale })
        : event("DELETE", "sale", when, { sale_id: sale.sale_id }),
    );
  }

  /** Inserts after any event of the same time, so a new customer's record precedes its sale. */
  private schedule(at: number, item: NativeEvent): void {
    let lo = 0;
    let hi = this.pending.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.pending[mid]!.at <= at) lo = mid + 1;
      else hi = mid;
    }
    this.pending.splice(lo, 0, { at, event: item });
  }
}
