/**
 * The measure registry's list: every measure the pipeline stores per bucket, one entry each. Adding
 * a stored measure is an entry here plus a migration adding its columns (`fact` on
 * `fact_sales_summary`, `name` on `kpi_day_slice`, `kpi_minute_slice` and `kpi_day_combo`); everything else loops
 * over this list through `measures.ts`. Pure data: the page bundle loads it too.
 */

/** The parts of a sale a contribution is computed from (money in cents of the reporting currency). */
export interface SaleAmounts {
  quantity: number;
  unitPriceCents: number;
  discountCents: number;
  /** Per unit; null when unknown — such a sale contributes no cost. */
  unitCostCents: number | null;
}

export type MeasureUnit = "count" | "currency";

export interface AdditiveMeasure {
  name: string;
  field: string;
  unit: MeasureUnit;
  combine: "sum";
  /** What one live sale contributes: units, or integer cents for currency. */
  perSale(sale: SaleAmounts): number;
  /** The same per live sale over `silver_sales_clean s`, in currency units (null-free). */
  silver: string;
  /** Column of `fact_sales_summary`. */
  fact: string;
  /** Element type of the batch arrays sent to Postgres. */
  pgType: "int" | "bigint";
  /** The semantic model's metric that sums it (see `workers/kpi/model.ts`). */
  metric: { name: string; label: string; description: string };
}

export interface RecomputedMeasure {
  name: string;
  field: string;
  unit: MeasureUnit;
  combine: "distinct" | "percentile";
  /** Null while a slice has no sales (a percentile of nothing). */
  nullable: boolean;
}

/** A sale's gross amount, the base of revenue, net revenue and the order-value percentiles. */
const gross = (s: SaleAmounts) => s.quantity * s.unitPriceCents;
const GROSS_SQL = "s.quantity * s.unit_price";

export const ADDITIVE_MEASURES = [
  {
    name: "orders",
    field: "orders",
    unit: "count",
    combine: "sum",
    perSale: () => 1,
    silver: "1",
    fact: "record_count",
    pgType: "int",
    metric: { name: "orders", label: "Orders", description: "Number of live sales." },
  },
  {
    name: "quantity",
    field: "quantity",
    unit: "count",
    combine: "sum",
    perSale: (s: SaleAmounts) => s.quantity,
    silver: "s.quantity",
    fact: "quantity_sold",
    pgType: "bigint",
    metric: { name: "quantity", label: "Units sold", description: "Σ quantity." },
  },
  {
    name: "revenue",
    field: "revenue",
    unit: "currency",
    combine: "sum",
    perSale: gross,
    silver: GROSS_SQL,
    fact: "gross_revenue",
    pgType: "bigint",
    metric: {
      name: "revenue",
      label: "Revenue",
      description: "Gross revenue: Σ quantity × unit price of live sales.",
    },
  },
  {
    name: "net_revenue",
    field: "netRevenue",
    unit: "currency",
    combine: "sum",
    perSale: (s: SaleAmounts) => gross(s) - s.discountCents,
    silver: `${GROSS_SQL} - s.discount`,
    fact: "net_revenue",
    pgType: "bigint",
    metric: {
      name: "net_revenue",
      label: "Net revenue",
      description: "Revenue after discounts: Σ (quantity × unit price − discount).",
    },
  },
  {
    name: "costs",
    field: "costs",
    unit: "currency",
    combine: "sum",
    // A sale without a known unit cost contributes no cost (the pipeline flags it `no_unit_cost`).
    perSale: (s: SaleAmounts) => s.quantity * (s.unitCostCents ?? 0),
    silver: "s.quantity * coalesce(s.unit_cost, 0)",
    fact: "cost_of_goods",
    pgType: "bigint",
    metric: {
      name: "cost_of_goods",
      label: "Cost of goods",
      description: "Σ quantity × unit cost (0 for sales whose cost is unknown).",
    },
  },
] as const satisfies readonly AdditiveMeasure[];

export const RECOMPUTED_MEASURES = [
  { name: "unique_customers", field: "uniqueCustomers", unit: "count", combine: "distinct", nullable: false },
  { name: "new_customers", field: "newCustomers", unit: "count", combine: "distinct", nullable: false },
  {
    name: "median_order_value",
    field: "medianOrderValue",
    unit: "currency",
    combine: "percentile",
    nullable: true,
  },
  {
    name: "p90_order_value",
    field: "p90OrderValue",
    unit: "currency",
    combine: "percentile",
    nullable: true,
  },
] as const satisfies readonly RecomputedMeasure[];

/** The row-level SQL a sale's gross amount is (the order-value percentiles rank it). */
export const SALE_GROSS_SQL = GROSS_SQL;
