/**
 * The database schema as code: every table drizzle can express lives here, and row types come
 * from it (`$inferSelect`). Partitioned tables are created by the custom migrations beside this
 * file (drizzle-kit cannot express `PARTITION BY`); their row shapes are declared here too so
 * queries stay typed, but `drizzle.config.ts` leaves them out of generation.
 */
import { sql } from "drizzle-orm";
import {
  boolean,
  date,
  integer,
  jsonb,
  numeric,
  pgTable,
  smallint,
  text,
  timestamp,
  uuid,
  varchar,
} from "drizzle-orm/pg-core";

/** A source system allowed to post CDC events, with its Standard Webhooks secret. */
export const sources = pgTable("sources", {
  name: varchar("name", { length: 50 }).primaryKey(),
  secret: text("secret").notNull(),
  /** The secret before the last rotation; still accepted until `previousSecretExpiresAt`. */
  previousSecret: text("previous_secret"),
  previousSecretExpiresAt: timestamp("previous_secret_expires_at", { withTimezone: true }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  lastSeenAt: timestamp("last_seen_at", { withTimezone: true }),
});

/**
 * Silver: the current state of every sale. Keyed by sale alone and not partitioned: the seed's
 * `PARTITION BY RANGE (sale_date)` with `sale_id` as primary key is rejected by Postgres (the key
 * must contain the partition column), and an UPDATE that moves a sale to another day would turn
 * into a cross-partition move. Deleted sales stay as tombstones (`is_deleted`) so that an older
 * UPDATE arriving late cannot bring them back.
 */
export const silverSalesClean = pgTable("silver_sales_clean", {
  saleId: uuid("sale_id").primaryKey(),
  customerId: uuid("customer_id"),
  productId: uuid("product_id"),
  saleDate: date("sale_date"),
  saleTimestamp: timestamp("sale_timestamp", { withTimezone: true }),
  quantity: integer("quantity"),
  unitPrice: numeric("unit_price", { precision: 12, scale: 2 }),
  discount: numeric("discount", { precision: 12, scale: 2 }).notNull().default("0"),
  unitCost: numeric("unit_cost", { precision: 12, scale: 2 }),
  currencyCode: varchar("currency_code", { length: 3 }).notNull().default("USD"),
  region: varchar("region", { length: 50 }),
  salesRepId: uuid("sales_rep_id"),
  dataQualityScore: numeric("data_quality_score", { precision: 3, scale: 2 }).notNull().default("1.00"),
  isDeleted: boolean("is_deleted").notNull().default(false),
  /** Source time of the event that produced this state; a newer event wins, whatever arrives first. */
  lastEventAt: timestamp("last_event_at", { withTimezone: true }).notNull(),
  sourceSystem: varchar("source_system", { length: 50 }).notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  etlBatchId: uuid("etl_batch_id").notNull(),
});

/**
 * Gold rollup: revenue and orders per calendar day (reporting timezone), maintained incrementally
 * by the consumer — each batch adds the difference its events make, so the cost of an event does
 * not grow with history.
 */
export const kpiDaily = pgTable("kpi_daily", {
  day: date("day").primaryKey(),
  revenue: numeric("revenue", { precision: 16, scale: 2 }).notNull().default("0"),
  netRevenue: numeric("net_revenue", { precision: 16, scale: 2 }).notNull().default("0"),
  orders: integer("orders").notNull().default(0),
  quantity: integer("quantity").notNull().default(0),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Events that could not be processed, with the reason: visible, counted and replayable. */
export const quarantine = pgTable("quarantine", {
  id: uuid("id").primaryKey().default(sql`gen_random_uuid()`),
  sourceSystem: varchar("source_system", { length: 50 }).notNull(),
  reason: text("reason").notNull(),
  rawEvent: jsonb("raw_event").notNull(),
  receivedAt: timestamp("received_at", { withTimezone: true }).notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  replayedAt: timestamp("replayed_at", { withTimezone: true }),
});

/** Queue messages that failed every retry, recorded by the dead-letter queue's consumer. */
export const deadLetters = pgTable("dead_letters", {
  id: uuid("id").primaryKey().default(sql`gen_random_uuid()`),
  queue: varchar("queue", { length: 100 }).notNull(),
  messageId: text("message_id").notNull().unique(),
  attempts: smallint("attempts").notNull(),
  body: jsonb("body").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  replayedAt: timestamp("replayed_at", { withTimezone: true }),
});

export type Source = typeof sources.$inferSelect;
export type SilverSale = typeof silverSalesClean.$inferSelect;
