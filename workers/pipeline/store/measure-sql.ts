/**
 * The SQL pieces the additive upserts share, looped from the measure registry: a batch's measures
 * arrive as `unnest` arrays `v0…vN` in registry order (integer cents for money, stored in currency
 * units).
 */
import { ADDITIVE_MEASURES, type AdditiveMeasure, isZero } from "../../kpi/measures.ts";
import type { Measures } from "../sale-rules.ts";

export const MEASURES = ADDITIVE_MEASURES;

/** The deltas sorted by key (lock order), with one array per measure in registry order. */
export function columns(map: Map<string, Measures>) {
  const keys = [...map.keys()].sort();
  const rows = keys.map((k) => map.get(k)! as Record<string, number>);
  return { keys, values: MEASURES.map((m) => rows.map((r) => r[m.field])) };
}

/** The deltas that change something (an all-zero one writes nothing). */
export function withoutZeros(deltas: Map<string, Measures>): Map<string, Measures> {
  return new Map([...deltas].filter(([, m]) => !isZero(m)));
}

export const ALIASES = MEASURES.map((_, i) => `v${i}`);
const stored = (m: AdditiveMeasure, v: string) => (m.unit === "currency" ? `${v} / 100.0` : v);
export const STORED_VALUES = MEASURES.map((m, i) => stored(m, ALIASES[i]!)).join(", ");
/** `$first::int[], …` for the measures' arrays, numbered from `first`. */
export const arrays = (first: number) => MEASURES.map((m, i) => `$${first + i}::${m.pgType}[]`).join(", ");
/** `col = t.col + excluded.col, …` over the given column names. */
export const added = (table: string, cols: readonly string[]) =>
  cols.map((c) => `${c} = ${table}.${c} + excluded.${c}`).join(", ");
export const SLICE_COLUMNS = MEASURES.map((m) => m.name);
export const FACT_COLUMNS = MEASURES.map((m) => m.fact);
export const ORDERS_ALIAS = ALIASES[MEASURES.findIndex((m) => m.name === "orders")]!;
