/**
 * The one response shape of the KPI APIs: columnar JSON — `columns` (name, type, unit) and `data`,
 * one array per column (uPlot's `[xs, ys…]`, ready for `setData`) — plus what the answer is about
 * (`meta`), when it was computed (`as_of`) and how current its data is (`freshness`). CSV export
 * writes the same table row by row.
 */
import { ADDITIVE_MEASURES } from "./measures.ts";
import type { Unit } from "./model.ts";
import type { Freshness } from "./store.ts";

export type ColumnType = "date" | "timestamp" | "string" | "number" | "integer" | "boolean";

export interface Column {
  name: string;
  type: ColumnType;
  unit?: Unit;
}

export interface Table {
  columns: Column[];
  /** Column-major: `data[i]` holds the values of `columns[i]`. */
  data: unknown[][];
  meta: Record<string, unknown>;
}

export interface Envelope extends Table {
  as_of: string;
  freshness: Freshness;
}

/** Builds the column-major data of `rows` (objects keyed by column name). */
export function columnar(columns: Column[], rows: readonly object[], meta: Record<string, unknown>): Table {
  const value = (row: object, name: string) => (row as Record<string, unknown>)[name] ?? null;
  return { columns, meta, data: columns.map((c) => rows.map((r) => value(r, c.name))) };
}

export const col = (name: string, type: ColumnType, unit?: Unit): Column =>
  unit ? { name, type, unit } : { name, type };

/** The column of a stored measure, typed by its unit in the registry (counts are integers). */
export function measureColumn(name: (typeof ADDITIVE_MEASURES)[number]["name"]): Column {
  const unit = ADDITIVE_MEASURES.find((m) => m.name === name)!.unit;
  return col(name, unit === "count" ? "integer" : "number", unit);
}

/** The number of rows of a table. */
export const rowCount = (table: Pick<Table, "data">) => table.data[0]?.length ?? 0;
