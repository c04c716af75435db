/**
 * Row shapes of the partitioned tables, created by the hand-written migrations (drizzle-kit cannot
 * express `PARTITION BY`). This file is outside `drizzle.config.ts` on purpose; it exists for typed
 * queries only.
 */
import { bigint, date, integer, json, numeric, pgTable, timestamp, varchar } from "drizzle-orm/pg-core";

/** Bronze: every accepted event, raw (`0001_bronze.sql`). */
export const bronzeSalesEvents = pgTable("bronze_sales_events", {
  eventId: bigint("event_id", { mode: "number" }).notNull(),
  sourceSystem: varchar("source_system", { length: 50 }).notNull(),
  sourceTable: varchar("source_table", { length: 200 }).notNull(),
  /** The entity the event was mapped to; NULL while its table has no mapping. */
  entity: varchar("entity", { length: 20 }),
  eventType: varchar("event_type", { length: 20 }).notNull(),
  eventTimestamp: timestamp("event_timestamp", { withTimezone: true }).notNull(),
  position: varchar("position", { length: 40 }),
  partitionDate: date("partition_date").notNull(),
  /** processed | unmapped | quarantined */
  status: varchar("status", { length: 12 }).notNull(),
  /** `json`, not `jsonb`: the event as received, and cheaper to insert (`0006_bronze_raw_json.sql`). */
  rawPayload: json("raw_payload").notNull(),
  ingestionTimestamp: timestamp("ingestion_timestamp", { withTimezone: true }).notNull(),
  checksum: varchar("checksum", { length: 64 }).notNull(),
  /** The delivery (queue message) that stored it (`0008_dead_letters.sql`). */
  delivery: varchar("delivery", { length: 80 }),
});

/** Gold fact at the seed's grain (`0002_gold.sql`). */
export const factSalesSummary = pgTable("fact_sales_summary", {
  timeKey: integer("time_key").notNull(),
  customerKey: integer("customer_key").notNull(),
  productKey: integer("product_key").notNull(),
  regionKey: integer("region_key").notNull(),
  salesRepKey: integer("sales_rep_key").notNull(),
  quantitySold: bigint("quantity_sold", { mode: "number" }).notNull(),
  grossRevenue: numeric("gross_revenue", { precision: 16, scale: 2 }).notNull(),
  netRevenue: numeric("net_revenue", { precision: 16, scale: 2 }).notNull(),
  costOfGoods: numeric("cost_of_goods", { precision: 16, scale: 2 }).notNull(),
  customerCount: integer("customer_count").notNull(),
  recordCount: integer("record_count").notNull(),
  averageOrderValue: numeric("average_order_value", { precision: 14, scale: 2 }),
  profitMarginPercent: numeric("profit_margin_percent", { precision: 7, scale: 2 }),
});
