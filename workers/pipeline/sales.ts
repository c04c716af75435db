/**
 * The pure core of sale processing: given the current state of the sales a batch touches and the
 * batch's new events, decide each sale's final state and how much every daily rollup changes.
 *
 * Ordering rule: the event with the latest source time wins, whatever the arrival order; on equal
 * source times the later-received event wins. A winning DELETE leaves a tombstone so an older UPDATE
 * arriving later cannot revive the sale. An UPDATE for an unseen sale is an upsert.
 */

import type { SaleEvent } from "../ingest/events.ts";
import { dayIn } from "../kpi/calendar.ts";
import { toCents } from "../kpi/money.ts";

/** A sale's state as the pipeline needs it; money in cents. */
export interface SaleState {
  saleId: string;
  isDeleted: boolean;
  lastEventAt: string;
  customerId: string | null;
  productId: string | null;
  saleTimestamp: string | null;
  quantity: number;
  unitPriceCents: number;
  discountCents: number;
  unitCostCents: number | null;
  currencyCode: string;
  region: string | null;
  salesRepId: string | null;
  sourceSystem: string;
}

/** What one live sale adds to its day's rollup. */
export interface DayDelta {
  revenueCents: number;
  netRevenueCents: number;
  orders: number;
  quantity: number;
}

export interface IncomingSaleEvent {
  event: SaleEvent;
  source: string;
}

function stateFrom(incoming: IncomingSaleEvent): SaleState {
  const { event, source } = incoming;
  if (event.op === "DELETE") {
    return {
      saleId: event.key,
      isDeleted: true,
      lastEventAt: event.eventTimestamp,
      customerId: null,
      productId: null,
      saleTimestamp: null,
      quantity: 0,
      unitPriceCents: 0,
      discountCents: 0,
      unitCostCents: null,
      currencyCode: "USD",
      region: null,
      salesRepId: null,
      sourceSystem: source,
    };
  }
  const sale = event.sale;
  return {
    saleId: sale.sale_id,
    isDeleted: false,
    lastEventAt: event.eventTimestamp,
    customerId: sale.customer_id,
    productId: sale.product_id,
    saleTimestamp: sale.sale_timestamp,
    quantity: sale.quantity,
    unitPriceCents: toCents(sale.unit_price),
    discountCents: toCents(sale.discount),
    unitCostCents: sale.unit_cost === undefined ? null : toCents(sale.unit_cost),
    currencyCode: sale.currency_code,
    region: sale.region,
    salesRepId: sale.sales_rep_id,
    sourceSystem: source,
  };
}

/** True when `candidate` (received later) should replace `current`. */
function wins(candidateAt: string, currentAt: string): boolean {
  return Date.parse(candidateAt) >= Date.parse(currentAt);
}

function contribution(state: SaleState): DayDelta {
  const revenue = state.quantity * state.unitPriceCents;
  return {
    revenueCents: revenue,
    netRevenueCents: revenue - state.discountCents,
    orders: 1,
    quantity: state.quantity,
  };
}

function addTo(deltas: Map<string, DayDelta>, day: string, part: DayDelta, sign: 1 | -1): void {
  const current = deltas.get(day) ?? { revenueCents: 0, netRevenueCents: 0, orders: 0, quantity: 0 };
  current.revenueCents += sign * part.revenueCents;
  current.netRevenueCents += sign * part.netRevenueCents;
  current.orders += sign * part.orders;
  current.quantity += sign * part.quantity;
  deltas.set(day, current);
}

export interface Resolution {
  /** Sales whose stored state must change (new, updated, deleted). */
  changed: SaleState[];
  /** Per reporting day, the change to apply to the rollup (days with no net change included). */
  deltas: Map<string, DayDelta>;
}

/**
 * @param existing current stored state of the sales the events refer to
 * @param events new events in arrival order
 */
export function resolveSales(
  existing: ReadonlyMap<string, SaleState>,
  events: readonly IncomingSaleEvent[],
  timeZone: string,
): Resolution {
  const finals = new Map<string, SaleState>();
  for (const incoming of events) {
    const key = incoming.event.key;
    const current = finals.get(key) ?? existing.get(key);
    if (current && !wins(incoming.event.eventTimestamp, current.lastEventAt)) continue;
    finals.set(key, stateFrom(incoming));
  }

  const deltas = new Map<string, DayDelta>();
  for (const [key, next] of finals) {
    const before = existing.get(key);
    if (before && !before.isDeleted && before.saleTimestamp) {
      addTo(deltas, dayIn(before.saleTimestamp, timeZone), contribution(before), -1);
    }
    if (!next.isDeleted && next.saleTimestamp) {
      addTo(deltas, dayIn(next.saleTimestamp, timeZone), contribution(next), 1);
    }
  }
  return { changed: [...finals.values()], deltas };
}
