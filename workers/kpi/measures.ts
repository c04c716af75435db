/**
 * The measure registry: the measures the pipeline stores per bucket. The rollup SQL, the live
 * room's storage and diff, the pipeline's reads for the room, the WebSocket schema, the page's live
 * state and the semantic model's base aggregates are all looped from it, so adding a stored measure
 * is one entry in `measure-list.ts` plus a migration adding its columns.
 *
 * Two kinds:
 * - additive (`sum`): what each sale contributes is known at ingest; the pipeline adds and removes
 *   contributions (integer cents for money, so sums are exact) at both grains, minute and day.
 * - recomputed (`distinct`, `percentile`): not additive, so the pipeline recomputes them per dirty
 *   day slice from silver (`recomputeSlices` in the rollups); day grain only.
 *
 * Names: `name` is the column in `kpi_day_slice`, `kpi_minute_slice`, the room's SQLite and the
 * protocol's series and tiles; `field` is the property in TypeScript bucket objects.
 *
 * The list itself is `measure-list.ts`; this module derives the types and the loops' helpers.
 * No I/O: the page bundle loads it too.
 */
import {
  ADDITIVE_MEASURES,
  type AdditiveMeasure,
  RECOMPUTED_MEASURES,
  type RecomputedMeasure,
  type SaleAmounts,
} from "./measure-list.ts";

export * from "./measure-list.ts";

// ── types derived from the lists ─────────────────────────────────────────────────────────────────

type AdditiveList = typeof ADDITIVE_MEASURES;
type RecomputedList = typeof RECOMPUTED_MEASURES;

/** Additive measures by field (`netRevenue`): cents in the pipeline, currency units in buckets. */
export type Additive = { [M in AdditiveList[number] as M["field"]]: number };
/** Recomputed measures by field. */
export type Recomputed = {
  [M in RecomputedList[number] as M["field"]]: M["nullable"] extends true ? number | null : number;
};
/** Additive measures by column name (`net_revenue`), as on the wire. */
export type AdditiveColumns = { [M in AdditiveList[number] as M["name"]]: number };
/** Recomputed measures by column name, as on the wire. */
export type RecomputedColumns = {
  [M in RecomputedList[number] as M["name"]]: M["nullable"] extends true ? number | null : number;
};

/** Every stored measure of a day bucket. */
export const DAY_MEASURES: readonly (AdditiveMeasure | RecomputedMeasure)[] = [
  ...ADDITIVE_MEASURES,
  ...RECOMPUTED_MEASURES,
];

// ── helpers the consumers loop with ──────────────────────────────────────────────────────────────

/** All additive measures at zero. */
export function zeroAdditive(): Additive {
  return Object.fromEntries(ADDITIVE_MEASURES.map((m) => [m.field, 0])) as Additive;
}

/** The contribution of one live sale, by field (cents for money). */
export function contributionOf(sale: SaleAmounts): Additive {
  return Object.fromEntries(ADDITIVE_MEASURES.map((m) => [m.field, m.perSale(sale)])) as Additive;
}

/** Whether every additive measure is zero (such a delta changes nothing). */
export function isZero(values: Additive): boolean {
  return ADDITIVE_MEASURES.every((m) => (values as Record<string, number>)[m.field] === 0);
}

/** The empty value of a measure (0 for sums and counts, null for a nullable one). */
export function emptyValue(m: AdditiveMeasure | RecomputedMeasure): 0 | null {
  return "nullable" in m && m.nullable ? null : 0;
}

/** `{ [name]: f(measure) }` over a list, typed by the names. */
export function byName<L extends readonly { name: string }[], V>(
  list: L,
  f: (m: L[number]) => V,
): { [K in L[number]["name"]]: V } {
  return Object.fromEntries(list.map((m) => [m.name, f(m)])) as { [K in L[number]["name"]]: V };
}
