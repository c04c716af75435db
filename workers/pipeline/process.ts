/**
 * Processing a set of accepted events in one transaction: bronze (dedup by checksum), mapping,
 * silver (current state per key), gold dimensions and fact, KPI slices. Shared by the queue
 * consumer, the bulk endpoint and the replay of unmapped or quarantined events.
 *
 * Dimensions are processed before sales, so a batch carrying a new customer and its first sale
 * places the sale under the real customer. A dimension change that moves existing sales (an inferred
 * member completed, an SCD2 version opened, a product's category changed) re-derives those sales:
 * their old contribution comes out of the fact and slices and the new one goes in.
 *
 * Over 400 lines because the batch is one transaction read top to bottom: `processItems` names its
 * steps, each a function of this file; the SQL is in `store/`, the sale rules in
 * `sales.ts`.
 */
import type { Db } from "../db/client.ts";
import type { Entity, EntityEvent } from "../ingest/entities.ts";
import type { Change } from "../ingest/events.ts";
import { dayIn } from "../kpi/calendar.ts";
import { isLiveDim, MINUTE_WINDOW, minuteOf } from "../live/buckets.ts";
import { applyMapping, type Mapping } from "./mapping.ts";
import { resolveLatest } from "./resolve.ts";
import {
  contribute,
  type Deltas,
  dataQuality,
  emptyDeltas,
  type Measures,
  type SaleEvent,
  type SaleState,
  saleStateFrom,
} from "./sales.ts";
import {
  addSourceStats,
  type BronzeRow,
  type BronzeStatus,
  heldKey,
  insertBronze,
  insertQuarantine,
  loadMappings,
  loadRates,
  type QuarantineRow,
  type SourceCounts,
} from "./store/bronze.ts";
import { applyComboDeltas, comboDeltas, combosOfSlices } from "./store/combos.ts";
import {
  applyCustomerVersions,
  type EntityState,
  loadEntities,
  loadProductCosts,
  resolveSaleKeys,
  upsertDimProducts,
  upsertDimRegions,
  upsertDimSalesReps,
  upsertEntities,
} from "./store/entities.ts";
import { recordBatch } from "./store/health.ts";
import type { LiveTouch } from "./store/live.ts";
import {
  applyFactDeltas,
  applyMinuteDeltas,
  applySliceDeltas,
  lockSlices,
  refreshFirstSales,
} from "./store/rollups.ts";
import { loadSales, loadSalesToRederive, lockKeys, upsertSales } from "./store/sales.ts";

/** An event accepted at the webhook (or taken back from bronze for replay). */
export interface Item {
  source: string;
  receivedAt: string;
  raw: unknown;
  checksum: string;
  change: Change;
  /** The delivery (queue message) it came in; null for replays of bronze and older messages. */
  delivery?: string | null;
}

export interface ProcessOptions {
  timeZone: string;
  reportingCurrency: string;
  batchId: string;
  now?: number;
  /** Replayed events were counted as accepted when they first arrived. */
  replay?: boolean;
}

export interface ProcessOutcome {
  events: number;
  processed: number;
  duplicates: number;
  quarantined: number;
  unmapped: number;
  /** Days whose whole-business totals changed. */
  touchedDays: string[];
  /** The live room's buckets the batch wrote (`dim|member|day`, `dim|member|minute`). */
  touchedLive: LiveTouch;
}

type Sourced<E> = E & { source: string };

const DIMENSION_ORDER: Exclude<Entity, "sale">[] = ["region", "sales_rep", "product", "customer"];

/** Maps and validates every item; pure apart from the mapping and rate tables it is given. */
function classify(
  items: Item[],
  mappings: Map<string, Mapping>,
  rates: Map<string, number>,
  reportingCurrency: string,
) {
  const bronze: BronzeRow[] = [];
  const quarantine: QuarantineRow[] = [];
  const events = new Map<string, Sourced<EntityEvent>>();
  for (const item of items) {
    const { change } = item;
    let event: EntityEvent | undefined;
    let status: BronzeStatus = "processed";
    let rejection: { rule: string; reasons: string[] } | undefined;
    if (change.format === "native") {
      event = change.event;
    } else {
      const mapping = mappings.get(`${item.source}\u0000${change.table}`);
      if (!mapping) {
        status = "unmapped";
      } else {
        const mapped = applyMapping(change, mapping);
        if (mapped.ok) event = mapped.event;
        else rejection = mapped;
      }
    }
    if (event?.entity === "sale" && event.op !== "DELETE") {
      const currency = event.data.currency_code;
      if (currency !== reportingCurrency && !rates.has(currency)) {
        rejection = {
          rule: "unknown_currency",
          reasons: [
            `currency_code ${currency} has no exchange rate into ${reportingCurrency}; add one, then replay`,
          ],
        };
        event = undefined;
      }
    }
    if (rejection) {
      status = "quarantined";
      quarantine.push({
        source: item.source,
        sourceTable: change.table,
        entity: event?.entity ?? null,
        rule: rejection.rule,
        reason: rejection.reasons.join("; "),
        raw: item.raw,
        checksum: item.checksum,
        receivedAt: item.receivedAt,
      });
    }
    bronze.push({
      source: item.source,
      sourceTable: change.table,
      entity: event?.entity ?? (change.format === "native" ? change.table : null),
      eventType: change.format === "native" ? change.event.op : change.op,
      eventTimestamp: change.format === "native" ? change.event.eventTime : change.eventTime,
      position: change.format === "native" ? null : change.position,
      status,
      raw: item.raw,
      checksum: item.checksum,
      receivedAt: item.receivedAt,
      delivery: item.delivery ?? null,
    });
    if (event && !events.has(item.checksum)) events.set(item.checksum, { ...event, source: item.source });
  }
  return { bronze, quarantine, events };
}

function count(
  counts: Map<string, SourceCounts>,
  source: string,
  at: string,
  field: keyof Omit<SourceCounts, "lastEventAt">,
) {
  const c = counts.get(source) ?? {
    accepted: 0,
    processed: 0,
    duplicates: 0,
    quarantined: 0,
    unmapped: 0,
    lastEventAt: at,
  };
  c[field]++;
  if (at > c.lastEventAt) c.lastEventAt = at;
  counts.set(source, c);
}

async function processDimension(
  tx: Db,
  entity: Exclude<Entity, "sale">,
  events: Sourced<EntityEvent>[],
): Promise<Map<string, EntityState>> {
  await lockKeys(
    tx,
    entity,
    events.map((e) => e.key),
  );
  const existing = await loadEntities(
    tx,
    entity,
    events.map((e) => e.key),
  );
  const finals = resolveLatest(existing, events, (e, previous) => ({
    key: e.key,
    sourceSystem: e.source,
    isDeleted: e.op === "DELETE",
    lastEventAt: e.eventTime,
    lastPosition: e.position,
    data: e.op === "DELETE" ? (previous?.data ?? {}) : (e.data as Record<string, unknown>),
  }));
  const states = [...finals.values()].map((s) => ({ ...s, data: { ...s.data, ...keyField(entity, s.key) } }));
  await upsertEntities(tx, entity, states);
  return new Map(states.map((s) => [s.key, s]));
}

function keyField(entity: Exclude<Entity, "sale">, key: string): Record<string, string> {
  const field = {
    customer: "customer_id",
    product: "product_id",
    sales_rep: "sales_rep_id",
    region: "region_code",
  }[entity];
  return { [field]: key };
}

const text = (v: unknown, fallback: string) => (typeof v === "string" && v !== "" ? v : fallback);

/**
 * One batch: classify, land in bronze (counting what is new), dimensions, then sales — resolved,
 * derived, their contributions' differences — and last the rows every batch shares.
 */
export async function processItems(tx: Db, items: Item[], options: ProcessOptions): Promise<ProcessOutcome> {
  // A batch of thousands of rows crosses the planner's JIT threshold on most statements, and
  // compiling them (50–200 ms each) costs more than running them; LOCAL keeps it to this batch.
  // A small one stays far below the threshold and saves the round trip.
  if (items.length >= 500) await tx.query("SET LOCAL jit = off");
  const { mappings, rates } = await loadLookups(tx, items);
  const { bronze, quarantine, events } = classify(items, mappings, rates, options.reportingCurrency);
  const { held, counted } = await insertBronze(tx, bronze); // what bronze already had: duplicates
  const counts = countArrivals(bronze, held, counted, options.replay === true);
  // Quarantine only what is new: a quarantined event sent again is a duplicate like any other.
  await insertQuarantine(
    tx,
    quarantine.filter((q) => q.checksum === null || !held.has(q.checksum)),
  );
  const byEntity = newEventsByEntity(events, held);
  const moved = await processDimensions(tx, byEntity);
  const now = options.now ?? Date.now();
  const sales = await resolveSales(
    tx,
    (byEntity.get("sale") ?? []) as Sourced<SaleEvent>[],
    rates,
    moved,
    options,
  );
  await deriveSales(tx, sales.toDerive, options.timeZone, now);
  const { deltas, before, after } = saleDeltas(sales, now);
  await upsertSales(tx, after, options.batchId, options.reportingCurrency);
  const combos = comboDeltas(before, after);
  const written = await writeShared(tx, deltas, combos, [...before.values(), ...after], counts, items);
  return outcome(items.length, counts, deltas, written);
}

/** The source mappings the batch's Debezium events need and the exchange rates. */
async function loadLookups(tx: Db, items: Item[]) {
  const sources = [...new Set(items.filter((i) => i.change.format === "debezium").map((i) => i.source))];
  const [rawMappings, rates] = await Promise.all([loadMappings(tx, sources), loadRates(tx)]);
  const mappings = new Map<string, Mapping>(
    [...rawMappings].map(([k, m]) => [
      k,
      { entity: m.entity as Entity, columns: m.columns, defaults: m.defaults },
    ]),
  );
  return { mappings, rates };
}

/** Per-source counters of what arrived: accepted, processed, duplicates, quarantined, unmapped. */
function countArrivals(bronze: BronzeRow[], held: Set<string>, counted: Set<string>, replay: boolean) {
  const counts = new Map<string, SourceCounts>();
  const seen = new Set<string>();
  for (const row of bronze) {
    // A redelivered message's events were counted when its first delivery committed them.
    if (counted.has(heldKey(row.delivery, row.checksum))) continue;
    if (!replay) count(counts, row.source, row.receivedAt, "accepted");
    if (held.has(row.checksum) || seen.has(row.checksum)) {
      count(counts, row.source, row.receivedAt, "duplicates");
      continue;
    }
    seen.add(row.checksum);
    count(counts, row.source, row.receivedAt, row.status === "processed" ? "processed" : row.status);
  }
  return counts;
}

/** The events bronze did not hold yet, by entity. */
function newEventsByEntity(events: Map<string, Sourced<EntityEvent>>, held: Set<string>) {
  const byEntity = new Map<Entity, Sourced<EntityEvent>[]>();
  for (const [checksum, event] of events) {
    if (held.has(checksum)) continue;
    const list = byEntity.get(event.entity);
    if (list) list.push(event);
    else byEntity.set(event.entity, [event]);
  }
  return byEntity;
}

/** What dimension changes move: customers with a new version (since when) and recategorised products. */
interface Moved {
  customers: { customerId: string; since: string }[];
  products: string[];
}

/** Dimensions, in `DIMENSION_ORDER`: silver state, then each one's gold table. */
async function processDimensions(tx: Db, byEntity: Map<Entity, Sourced<EntityEvent>[]>): Promise<Moved> {
  const moved: Moved = { customers: [], products: [] };
  for (const entity of DIMENSION_ORDER) {
    const list = byEntity.get(entity);
    if (!list) continue;
    const states = [...(await processDimension(tx, entity, list)).values()].filter((s) => !s.isDeleted);
    await DIMENSION_WRITERS[entity](tx, states, moved);
  }
  return moved;
}

const field = (s: EntityState, f: string) => s.data[f];

/** Each dimension's gold write from its live silver states. */
const DIMENSION_WRITERS: Record<
  Exclude<Entity, "sale">,
  (tx: Db, states: EntityState[], moved: Moved) => Promise<void>
> = {
  region: (tx, states) =>
    upsertDimRegions(
      tx,
      states.map((s) => ({ code: s.key, name: text(field(s, "region_name"), s.key) })),
    ),
  sales_rep: (tx, states) =>
    upsertDimSalesReps(
      tx,
      states.map((s) => ({
        id: s.key,
        name: text(field(s, "name"), s.key),
        region: (field(s, "region") as string) ?? null,
      })),
    ),
  product: async (tx, states, moved) => {
    moved.products = await upsertDimProducts(
      tx,
      states.map((s) => ({
        id: s.key,
        name: text(field(s, "product_name"), s.key),
        category: text(field(s, "category"), "Unknown"),
        unitCost: typeof field(s, "unit_cost") === "number" ? (field(s, "unit_cost") as number) : null,
      })),
    );
  },
  customer: async (tx, states, moved) => {
    moved.customers.push(
      ...(await applyCustomerVersions(
        tx,
        states.map((s) => ({
          id: s.key,
          name: text(field(s, "customer_name"), s.key),
          segment: text(field(s, "customer_segment"), "Unknown"),
          region: text(field(s, "geographic_region"), "Unknown"),
          acquisitionDate: (field(s, "acquisition_date") as string) ?? null,
          isActive: field(s, "is_active") !== false,
          at: s.lastEventAt,
        })),
      )),
    );
  },
};

interface ResolvedSales {
  /** Silver's state before the batch, of the sales it has events for. */
  existing: Map<string, SaleState>;
  /** The state each of those sales ends in. */
  finals: Map<string, SaleState>;
  /** Sales without events that a dimension change moves, as silver holds them. */
  rederived: SaleState[];
  /** The live sales to (re)derive: finals and copies of the re-derived. */
  toDerive: SaleState[];
}

/** Locks and loads the batch's sales and resolves each one's final state (event order, not arrival). */
async function resolveSales(
  tx: Db,
  saleEvents: Sourced<SaleEvent>[],
  rates: Map<string, number>,
  moved: Moved,
  options: ProcessOptions,
): Promise<ResolvedSales> {
  const keys = saleEvents.map((e) => e.key);
  await lockKeys(tx, "sale", keys);
  const existing = await loadSales(tx, keys);
  const costs = await loadProductCosts(
    tx,
    saleEvents.flatMap((e) =>
      e.op !== "DELETE" && e.data.unit_cost === undefined ? [e.data.product_id] : [],
    ),
  );
  const rate = (e: Sourced<SaleEvent>) =>
    e.op === "DELETE" || e.data.currency_code === options.reportingCurrency
      ? 1
      : (rates.get(e.data.currency_code) ?? 1);
  const finals = resolveLatest(existing, saleEvents, (e) =>
    saleStateFrom(e, e.source, rate(e), (productId) => costs.get(productId) ?? null),
  );
  const rederived = (await loadSalesToRederive(tx, moved.customers, moved.products)).filter(
    (s) => !finals.has(s.saleId),
  );
  const toDerive = [...finals.values(), ...rederived.map((s) => ({ ...s }))].filter((s) => !s.isDeleted);
  return { existing, finals, rederived, toDerive };
}

/** Fills in each live sale's dimension keys, slice members and data quality. */
async function deriveSales(tx: Db, sales: SaleState[], timeZone: string, now: number): Promise<void> {
  const atOf = (s: SaleState) => new Date(s.saleTimestamp!).toISOString();
  const keys = await resolveSaleKeys(
    tx,
    sales.map((s) => ({
      customerId: s.customerId!,
      productId: s.productId!,
      region: s.region!,
      salesRepId: s.salesRepId,
      at: atOf(s),
    })),
  );
  for (const sale of sales) {
    const customer = keys.customer.get(`${sale.customerId}\u0000${atOf(sale)}`);
    const product = keys.product.get(sale.productId!);
    const regionKey = keys.region.get(sale.region!);
    if (!customer || !product || regionKey === undefined)
      throw new Error(`dimension keys missing for sale ${sale.saleId}`);
    const quality = dataQuality(sale, {
      customerInferred: customer.inferred,
      productInferred: product.inferred,
      now,
    });
    sale.derived = {
      saleDate: dayIn(sale.saleTimestamp!, timeZone),
      customerKey: customer.key,
      productKey: product.key,
      regionKey,
      salesRepKey: sale.salesRepId ? (keys.salesRep.get(sale.salesRepId) ?? 0) : 0,
      segment: customer.segment,
      category: product.category,
      dataQualityScore: quality.score,
      dataQualityIssues: quality.issues,
    };
  }
}

/** Every changed sale's old contribution out and new one in; `after` is what silver will hold. */
function saleDeltas(sales: ResolvedSales, now: number) {
  const { existing, finals, rederived, toDerive } = sales;
  const deltas = emptyDeltas(minuteOf(now) - MINUTE_WINDOW * 60);
  const before = new Map([...existing, ...rederived.map((s) => [s.saleId, s] as const)]);
  const after = [...finals.values(), ...toDerive.filter((s) => !finals.has(s.saleId))];
  for (const sale of after) {
    const old = before.get(sale.saleId);
    if (old) contribute(deltas, old, -1);
    contribute(deltas, sale, 1);
  }
  return { deltas, before, after };
}

/**
 * The rows every batch shares (customers' first days, slices, facts, counters), under the slice
 * lock: concurrent batches take turns, so they never wait on each other in opposite orders.
 * Returns the slices whose new-customer counts may have changed and the minute buckets written.
 */
async function writeShared(
  tx: Db,
  deltas: Deltas,
  combos: Map<string, Measures>,
  sales: SaleState[],
  counts: Map<string, SourceCounts>,
  items: Item[],
) {
  const customers = [...new Set(sales.flatMap((s) => (s.customerId ? [s.customerId] : [])))];
  await lockSlices(tx);
  const firstSaleSlices = await refreshFirstSales(tx, customers);
  await applySliceDeltas(tx, deltas.slices, firstSaleSlices);
  await applyComboDeltas(tx, combos, combosOfSlices(firstSaleSlices));
  const touchedMinutes = await applyMinuteDeltas(tx, deltas.minutes);
  await applyFactDeltas(tx, deltas.facts);
  await addSourceStats(tx, counts);
  await recordBatch(tx, items);
  return { firstSaleSlices, touchedMinutes };
}

function outcome(
  events: number,
  counts: Map<string, SourceCounts>,
  deltas: Deltas,
  written: { firstSaleSlices: string[]; touchedMinutes: string[] },
): ProcessOutcome {
  const touchedSlices = [...new Set([...deltas.slices.keys(), ...written.firstSaleSlices])];
  const totals = [...counts.values()];
  const sum = (f: keyof Omit<SourceCounts, "lastEventAt">) => totals.reduce((n, c) => n + c[f], 0);
  return {
    events,
    processed: sum("processed"),
    duplicates: sum("duplicates"),
    quarantined: sum("quarantined"),
    unmapped: sum("unmapped"),
    touchedDays: touchedSlices
      .filter((k) => k.startsWith("all||"))
      .map((k) => k.slice(5))
      .sort(),
    touchedLive: {
      days: touchedSlices.filter((k) => isLiveDim(k.slice(0, k.indexOf("|")))).sort(),
      minutes: written.touchedMinutes,
    },
  };
}
