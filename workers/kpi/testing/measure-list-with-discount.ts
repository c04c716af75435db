/**
 * The registry list of a test build (the `measure` test project): the real list plus one more
 * additive measure, `discount`. The build resolves every import of `measure-list.ts` to this file,
 * so the whole Worker — pipeline, rollups, API, live room — and the page's state run with it; the
 * test adds the columns it needs (the migration a real measure would ship with).
 */
import type { AdditiveMeasure, SaleAmounts } from "../measure-list.ts";
import { ADDITIVE_MEASURES as REAL } from "../measure-list.ts";

export * from "../measure-list.ts";

export const DISCOUNT = {
  name: "discount",
  field: "discount",
  unit: "currency",
  combine: "sum",
  perSale: (s: SaleAmounts) => s.discountCents,
  silver: "s.discount",
  fact: "discount",
  pgType: "bigint",
  metric: { name: "discount", label: "Discount", description: "Σ discount of live sales." },
} as const satisfies AdditiveMeasure;

export const ADDITIVE_MEASURES = [...REAL, DISCOUNT] as unknown as typeof REAL;

/** The columns a migration adding `discount` would create. */
export const DISCOUNT_MIGRATION = [
  "ALTER TABLE fact_sales_summary ADD COLUMN IF NOT EXISTS discount numeric(18, 2) NOT NULL DEFAULT 0",
  "ALTER TABLE kpi_day_slice ADD COLUMN IF NOT EXISTS discount numeric(18, 2) NOT NULL DEFAULT 0",
  "ALTER TABLE kpi_minute_slice ADD COLUMN IF NOT EXISTS discount numeric(18, 2) NOT NULL DEFAULT 0",
  "ALTER TABLE kpi_day_combo ADD COLUMN IF NOT EXISTS discount numeric(18, 2) NOT NULL DEFAULT 0",
];
