/**
 * A batch's sales: each one's final state, its derived keys and slice members, and the difference
 * its change makes to every measure (old contribution out, new one in).
 */
import type { Db } from "../db/client.ts";
import { dayIn } from "../kpi/calendar.ts";
import { MINUTE_WINDOW, minuteOf } from "../live/buckets.ts";
import type { Moved } from "./dimensions.ts";
import type { ProcessOptions, Sourced } from "./process.ts";
import { resolveLatest } from "./resolve.ts";
import {
  contribute,
  dataQuality,
  emptyDeltas,
  type SaleEvent,
  type SaleState,
  saleStateFrom,
} from "./sale-rules.ts";
import { loadProductUnitCosts, resolveSaleKeys } from "./store/entities.ts";
import { loadSales, loadSalesToRederive, lockKeys } from "./store/silver-sales.ts";

export interface ResolvedSales {
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
export async function resolveSales(
  tx: Db,
  saleEvents: Sourced<SaleEvent>[],
  rates: Map<string, number>,
  moved: Moved,
  options: ProcessOptions,
): Promise<ResolvedSales> {
  const keys = saleEvents.map((e) => e.key);
  await lockKeys(tx, "sale", keys);
  // The lock and both reads go out in one message.
  const [existing, unitCosts] = await Promise.all([
    loadSales(tx, keys),
    loadProductUnitCosts(
      tx,
      saleEvents.flatMap((e) =>
        e.op !== "DELETE" && e.data.unit_cost === undefined ? [e.data.product_id] : [],
      ),
    ),
  ]);
  const rate = (e: Sourced<SaleEvent>) =>
    e.op === "DELETE" || e.data.currency_code === options.reportingCurrency
      ? 1
      : (rates.get(e.data.currency_code) ?? 1);
  const finals = resolveLatest(existing, saleEvents, (e) =>
    saleStateFrom(e, e.source, rate(e), (productId) => unitCosts.get(productId) ?? null),
  );
  const rederived = (await loadSalesToRederive(tx, moved.customers, moved.products)).filter(
    (s) => !finals.has(s.saleId),
  );
  const toDerive = [...finals.values(), ...rederived.map((s) => ({ ...s }))].filter((s) => !s.isDeleted);
  return { existing, finals, rederived, toDerive };
}

/** Fills in each live sale's dimension keys, slice members and data quality. */
export async function deriveSales(tx: Db, sales: SaleState[], timeZone: string, now: number): Promise<void> {
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
export function saleDeltas(sales: ResolvedSales, now: number) {
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
