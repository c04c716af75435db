-- Bronze: every accepted CDC event, raw, partitioned by month.
--
-- Differences from the seed's DDL, and why:
-- * The seed partitions by `partition_date GENERATED ALWAYS AS (DATE(event_timestamp))`; Postgres
--   rejects a generated column as a partition key, so the consumer writes `partition_date` itself
--   (the UTC date of the event's source time).
-- * The seed's `event_id UUID PRIMARY KEY` is rejected on a partitioned table: every unique
--   constraint must contain the partition key. The key here is (event_id, partition_date).
-- * Deduplication is UNIQUE (checksum, partition_date). That is global, not per partition: the
--   checksum covers the event's source time, so two copies of one event always share a partition.
-- * Partitions follow the event's *source* time rather than ingestion time for the same reason;
--   ingestion time is still recorded. A DEFAULT partition catches months that were not created
--   ahead, so an event of any age lands (history gets replayed).
-- * The seed's HASH index on event_timestamp only serves equality; range scans need a btree.
CREATE TABLE "bronze_sales_events" (
	"event_id" uuid NOT NULL DEFAULT gen_random_uuid(),
	"source_system" varchar(50) NOT NULL,
	"entity" varchar(50) NOT NULL,
	"event_type" varchar(20) NOT NULL,
	"event_timestamp" timestamp with time zone NOT NULL,
	"partition_date" date NOT NULL,
	"raw_payload" jsonb NOT NULL,
	"ingestion_timestamp" timestamp with time zone NOT NULL DEFAULT now(),
	"checksum" varchar(64) NOT NULL,
	PRIMARY KEY ("event_id", "partition_date"),
	UNIQUE ("checksum", "partition_date")
) PARTITION BY RANGE ("partition_date");
--> statement-breakpoint
CREATE TABLE "bronze_sales_events_default" PARTITION OF "bronze_sales_events" DEFAULT;
--> statement-breakpoint
CREATE INDEX "idx_bronze_sales_events_timestamp" ON "bronze_sales_events" ("event_timestamp");
--> statement-breakpoint
CREATE INDEX "idx_bronze_sales_events_source_system" ON "bronze_sales_events" ("source_system", "event_type");
--> statement-breakpoint
-- Creates the monthly partitions from `from_month` for `months` months, skipping existing ones.
-- Rows already sitting in the default partition for a new month are moved into it, so the job can
-- run at any time. Called by the migration (around today) and by the scheduled job (ahead).
CREATE OR REPLACE FUNCTION ensure_bronze_partitions(from_month date, months integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	m date;
	part text;
	created integer := 0;
BEGIN
	FOR i IN 0 .. months - 1 LOOP
		m := (date_trunc('month', from_month) + make_interval(months => i))::date;
		part := format('bronze_sales_events_%s', to_char(m, 'YYYY_MM'));
		CONTINUE WHEN to_regclass(part) IS NOT NULL;
		EXECUTE format('CREATE TABLE %I (LIKE bronze_sales_events INCLUDING DEFAULTS)', part);
		EXECUTE format(
			'WITH moved AS (DELETE FROM bronze_sales_events_default WHERE partition_date >= %L AND partition_date < %L RETURNING *) INSERT INTO %I SELECT * FROM moved',
			m, (m + interval '1 month')::date, part);
		EXECUTE format('ALTER TABLE bronze_sales_events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
			part, m, (m + interval '1 month')::date);
		created := created + 1;
	END LOOP;
	RETURN created;
END $$;
--> statement-breakpoint
SELECT ensure_bronze_partitions((date_trunc('month', now()) - interval '1 month')::date, 4);
--> statement-breakpoint
CREATE INDEX "idx_silver_sales_clean_day" ON "silver_sales_clean" ("sale_date", "region", "customer_id") INCLUDE ("quantity", "unit_price") WHERE NOT "is_deleted";
