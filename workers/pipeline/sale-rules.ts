/**
 * The pure core of sale processing: a sale's state, the data-quality rules, and what a live sale
 * contributes to the gold fact and the KPI slices. Every rollup change is computed the same way —
 * the old state's contribution out, the new state's in — whether a sale's own event changed it or a
 * dimension change (a customer's new segment) re-derived it.
 */
import type { EntityEvent, SaleFields } from "../ingest/entities.ts";
import { dayIn } from "../kpi/calendar.ts";
import { ADDITIVE_MEASURES, type Additive, contributionOf, zeroAdditive } from "../kpi/measures.ts";
import { toCents } from "../kpi/money.ts";
import type { Version } from "./resolve.ts";

/** A sale as silver holds it; money in cents of the reporting currency. */
export interface SaleState extends Version {
  saleId: string;
  sourceSystem: string;
  customerId: string | null;
  productId: string | null;
  saleTimestamp: string | null;
  quantity: number;
  unitPriceCents: number;
  discountCents: number;
  /** Per unit; null when neither the event nor the product knew it. */
  unitCostCents: number | null;
  originalCurrency: string | null;
  originalUnitPrice: number | null;
  region: string | null;
  salesRepId: string | null;
  derived: Derived | null;
}

/** Where a live sale sits in gold: its dimension keys and slice members. */
export interface Derived {
  saleDate: string;
  customerKey: number;
  productKey: number;
  regionKey: number;
  salesRepKey: number;
  segment: string;
  category: string;
  dataQualityScore: number;
  dataQualityIssues: string[];
}

export type SaleEvent = Extract<EntityEvent, { entity: "sale" }>;

/** The state a winning sale event leaves (derived columns are filled in once keys are known). */
export function saleStateFrom(
  event: SaleEvent,
  source: string,
  rate: number,
  productUnitCost: (productId: string) => number | null,
): SaleState {
  const base = {
    saleId: event.key,
    sourceSystem: source,
    lastEventAt: event.eventTime,
    lastPosition: event.position,
  };
  if (event.op === "DELETE") {
    return {
      ...base,
      isDeleted: true,
      customerId: null,
      productId: null,
      saleTimestamp: null,
      quantity: 0,
      unitPriceCents: 0,
      discountCents: 0,
      unitCostCents: null,
      originalCurrency: null,
      originalUnitPrice: null,
      region: null,
      salesRepId: null,
      derived: null,
    };
  }
  const s: SaleFields = event.data;
  const convert = (amount: number) => toCents(amount * rate);
  const unitCost = s.unit_cost !== undefined ? convert(s.unit_cost) : productUnitCost(s.product_id);
  return {
    ...base,
    isDeleted: false,
    customerId: s.customer_id,
    productId: s.product_id,
    saleTimestamp: s.sale_timestamp,
    quantity: s.quantity,
    unitPriceCents: convert(s.unit_price),
    discountCents: convert(s.discount),
    unitCostCents: unitCost,
    originalCurrency: s.currency_code,
    originalUnitPrice: s.unit_price,
    region: s.region,
    salesRepId: s.sales_rep_id,
    derived: null,
  };
}

/** Soft data-quality rules: each issue lowers the score; hard rules quarantine instead. */
export function dataQuality(
  sale: SaleState,
  context: { customerInferred: boolean; productInferred: boolean; now: number },
): { score: number; issues: string[] } {
  const issues: [string, number][] = [];
  if (sale.unitCostCents === null) issues.push(["no_unit_cost", 0.2]);
  if (sale.salesRepId === null) issues.push(["no_sales_rep", 0.05]);
  if (sale.discountCents > sale.quantity * sale.unitPriceCents) issues.push(["discount_exceeds_gross", 0.3]);
  if (sale.saleTimestamp && Date.parse(sale.saleTimestamp) > context.now + 5 * 60_000) {
    issues.push(["sale_time_in_future", 0.3]);
  }
  if (context.customerInferred) issues.push(["unknown_customer", 0.1]);
  if (context.productInferred) issues.push(["unknown_product", 0.1]);
  const score = Math.max(0, 1 - issues.reduce((sum, [, weight]) => sum + weight, 0));
  return { score: Math.round(score * 100) / 100, issues: issues.map(([name]) => name) };
}

export function saleDay(sale: SaleState, timeZone: string): string | null {
  return sale.saleTimestamp ? dayIn(sale.saleTimestamp, timeZone) : null;
}

/** Additive measures by field, in cents and units (the registry's `Additive`). */
export type Measures = Additive;

export const SLICE_DIMS = ["all", "region", "segment", "category", "sales_rep"] as const;
export type SliceDim = (typeof SLICE_DIMS)[number];

export interface Deltas {
  /** by `time_key|customer_key|product_key|region_key|sales_rep_key` */
  facts: Map<string, Measures>;
  /** by `dim|member|day` */
  slices: Map<string, Measures>;
  /** by `dim|member|minute` (epoch seconds), live dimensions only, minutes from `minuteSince` on */
  minutes: Map<string, Measures>;
  /** Epoch seconds: sales in earlier minutes get no minute delta (outside the live window). */
  minuteSince: number;
}

/** The dimensions the live room slices by; sales reps are served by the day slices only. */
const MINUTE_DIMS: ReadonlySet<SliceDim> = new Set(["all", "region", "segment", "category"]);

function add(map: Map<string, Measures>, key: string, m: Measures, sign: 1 | -1): void {
  const current = (map.get(key) ?? zeroAdditive()) as Record<string, number>;
  for (const { field } of ADDITIVE_MEASURES)
    current[field] = (current[field] ?? 0) + sign * (m as Record<string, number>)[field]!;
  map.set(key, current as Measures);
}

export function sliceMembers(sale: SaleState): [SliceDim, string][] {
  const d = sale.derived!;
  return [
    ["all", ""],
    ["region", sale.region ?? ""],
    ["segment", d.segment],
    ["category", d.category],
    ["sales_rep", sale.salesRepId ?? ""],
  ];
}

/** Adds `sign` × the sale's contribution (nothing for a deleted or not yet derived sale). */
export function contribute(deltas: Deltas, sale: SaleState, sign: 1 | -1): void {
  if (sale.isDeleted || !sale.derived) return;
  const d = sale.derived;
  const m = contributionOf(sale);
  const timeKey = Number(d.saleDate.replaceAll("-", ""));
  add(deltas.facts, `${timeKey}|${d.customerKey}|${d.productKey}|${d.regionKey}|${d.salesRepKey}`, m, sign);
  for (const [dim, member] of sliceMembers(sale))
    add(deltas.slices, `${dim}|${member}|${d.saleDate}`, m, sign);
  // A minute is counted iff it is inside the window when the batch runs. The window only moves
  // forward, so a sale whose old minute is still inside was counted there when it was added.
  const minute = Math.floor(Date.parse(sale.saleTimestamp!) / 60_000) * 60;
  if (minute >= deltas.minuteSince) {
    for (const [dim, member] of sliceMembers(sale))
      if (MINUTE_DIMS.has(dim)) add(deltas.minutes, `${dim}|${member}|${minute}`, m, sign);
  }
}

/** @param minuteSince epoch seconds of the oldest minute to track (default: none). */
export function emptyDeltas(minuteSince = Number.POSITIVE_INFINITY): Deltas {
  return { facts: new Map(), slices: new Map(), minutes: new Map(), minuteSince };
}
