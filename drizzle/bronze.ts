/**
 * Bronze row shape. The table itself is created by the custom migration `0001_bronze.sql`
 * (partitioned by month of source time, which drizzle-kit cannot express), so this file is kept
 * out of `drizzle.config.ts`; it exists for typed queries only.
 */
import { date, jsonb, pgTable, timestamp, uuid, varchar } from "drizzle-orm/pg-core";

export const bronzeSalesEvents = pgTable("bronze_sales_events", {
  eventId: uuid("event_id").notNull(),
  sourceSystem: varchar("source_system", { length: 50 }).notNull(),
  entity: varchar("entity", { length: 50 }).notNull(),
  eventType: varchar("event_type", { length: 20 }).notNull(),
  eventTimestamp: timestamp("event_timestamp", { withTimezone: true }).notNull(),
  partitionDate: date("partition_date").notNull(),
  rawPayload: jsonb("raw_payload").notNull(),
  ingestionTimestamp: timestamp("ingestion_timestamp", { withTimezone: true }).notNull(),
  checksum: varchar("checksum", { length: 64 }).notNull(),
});
