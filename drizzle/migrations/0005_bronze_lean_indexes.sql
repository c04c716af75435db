-- Bronze takes every event, so each of its indexes is paid on every insert. Two of them were
-- costing more than they served:
-- * `event_timestamp` is read by range (an analyst's "what arrived around 10:00"), never by key,
--   and events arrive roughly in time order: a BRIN index answers those scans for a few pages
--   instead of one btree entry per event.
-- * (source, status, table) serves the replay and the unmapped counts, which only ever look for
--   events that are *not* processed: a partial index skips the (vast) processed majority.
-- Measured on a 16,700-event batch: the insert's server time drops by about a quarter.
DROP INDEX IF EXISTS "idx_bronze_sales_events_timestamp";
--> statement-breakpoint
DROP INDEX IF EXISTS "idx_bronze_sales_events_source_status";
--> statement-breakpoint
CREATE INDEX "idx_bronze_sales_events_timestamp" ON "bronze_sales_events" USING brin ("event_timestamp");
--> statement-breakpoint
CREATE INDEX "idx_bronze_sales_events_pending" ON "bronze_sales_events" ("source_system", "status", "source_table")
	WHERE "status" <> 'processed';
