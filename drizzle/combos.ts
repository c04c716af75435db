/**
 * Daily KPIs per combination of the sliced dimensions region, segment and category — what a query
 * with several filters at once reads instead of scanning the live sales. Kept like `kpi_day_slice`
 * (see `schema.ts`): additive measures change by each batch's differences; distinct counts, new
 * customers and percentiles are recomputed for the combinations a batch touched, marked in
 * `kpi_combo_dirty` until then. A separate file: the single-dimension rollups stay as they are.
 */
import { sql } from "drizzle-orm";
import { bigint, date, integer, numeric, pgTable, primaryKey, timestamp, varchar } from "drizzle-orm/pg-core";

const tstz = (name: string) => timestamp(name, { withTimezone: true });
const total = (name: string) => numeric(name, { precision: 18, scale: 2 });

/**
 * `dims` names the combination (`region+segment`, `region+category`, `segment+category`,
 * `region+segment+category`); the members of the dimensions outside it are ''.
 */
export const kpiDayCombo = pgTable(
  "kpi_day_combo",
  {
    dims: varchar("dims", { length: 30 }).notNull(),
    region: varchar("region", { length: 50 }).notNull().default(""),
    segment: varchar("segment", { length: 50 }).notNull().default(""),
    category: varchar("category", { length: 100 }).notNull().default(""),
    day: date("day").notNull(),
    orders: integer("orders").notNull().default(0),
    quantity: bigint("quantity", { mode: "number" }).notNull().default(0),
    revenue: total("revenue").notNull().default("0"),
    netRevenue: total("net_revenue").notNull().default("0"),
    costs: total("costs").notNull().default("0"),
    uniqueCustomers: integer("unique_customers").notNull().default(0),
    newCustomers: integer("new_customers").notNull().default(0),
    medianOrderValue: numeric("median_order_value"),
    p90OrderValue: numeric("p90_order_value"),
    updatedAt: tstz("updated_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.dims, t.region, t.segment, t.category, t.day] })],
);

/** Combinations whose non-additive measures await recomputation. */
export const kpiComboDirty = pgTable(
  "kpi_combo_dirty",
  {
    dims: varchar("dims", { length: 30 }).notNull(),
    region: varchar("region", { length: 50 }).notNull().default(""),
    segment: varchar("segment", { length: 50 }).notNull().default(""),
    category: varchar("category", { length: 100 }).notNull().default(""),
    day: date("day").notNull(),
    /** Set again by every batch that touches the combination (see `kpi_dirty`). */
    markedAt: tstz("marked_at").notNull().default(sql`clock_timestamp()`),
  },
  (t) => [primaryKey({ columns: [t.dims, t.region, t.segment, t.category, t.day] })],
);
