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
 * `processItems` names the steps, read top to bottom: `classify.ts` (mapping, validation, counts),
 * `dimensions.ts`, `sale-changes.ts`; the SQL is in `store/`, the sale rules in `sale-rules.ts`.
 */
import type { Db } from "../db/client.ts";
import { write } from "../db/statements.ts";
import type { Entity } from "../ingest/entities.ts";
import type { Change } from "../ingest/events.ts";
import { isLiveDim, type LiveBuckets } from "../live/buckets.ts";
import { classify, countArrivals } from "./classify.ts";
import { newEventsByEntity, processDimensions } from "./dimensions.ts";
import type { Mapping } from "./mapping.ts";
import { deriveSales, resolveSales, saleDeltas } from "./sale-changes.ts";
import type { Deltas, Measures, SaleEvent, SaleState } from "./sale-rules.ts";
import {
  addSourceStats,
  insertBronze,
  insertQuarantine,
  loadMappings,
  loadRates,
  type SourceCounts,
} from "./store/bronze.ts";
import { applyComboDeltas, comboDeltas, combosOfSlices } from "./store/combos.ts";
import { recordBatch } from "./store/health.ts";
import type { LiveTouch } from "./store/live.ts";
import { lockSlices } from "./store/locks.ts";
import { applyFactDeltas, applyMinuteDeltas, applySliceDeltas, refreshFirstSales } from "./store/rollups.ts";
import { upsertSales } from "./store/silver-sales.ts";

/** An event accepted at the webhook (or taken back from bronze for replay). */
export interface Item {
  source: string;
  receivedAt: string;
  raw: unknown;
  checksum: string;
  change: Change;
  /** The delivery (queue message) it came in; null for replays of bronze and older messages. */
  delivery?: string | null;
  /** Which copy of its event its delivery carries (0: the first; a message may repeat an event). */
  copy?: number;
}

export interface ProcessOptions {
  timeZone: string;
  reportingCurrency: string;
  batchId: string;
  now?: number;
  /** Replayed events were counted as accepted when they first arrived. */
  replay?: boolean;
  /** Read the live buckets each transaction touched, in its COMMIT's message (`ProcessOutcome.live`). */
  readLive?: boolean;
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
  /** Their values as each transaction committed them, when `readLive` was asked (else empty). */
  live: LiveBuckets[];
}

export type Sourced<E> = E & { source: string };

/**
 * One batch: classify, land in bronze (counting what is new), dimensions, then sales — resolved,
 * derived, their contributions' differences — and last the rows every batch shares.
 */
export async function processItems(tx: Db, items: Item[], options: ProcessOptions): Promise<ProcessOutcome> {
  // A batch of thousands of rows crosses the planner's JIT threshold on most statements, and
  // compiling them costs more than running them (README, "Figures behind the code"); LOCAL keeps it
  // to this batch. A small one stays far below the threshold and saves the round trip.
  if (items.length >= 500) await write(tx, "SET LOCAL jit = off");
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
    live: [],
  };
}
