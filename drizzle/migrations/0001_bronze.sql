-- Bronze: every accepted CDC event, raw, partitioned by month.
--
-- Differences from the seed's DDL, and why:
-- * The seed partitions by `partition_date GENERATED ALWAYS AS (DATE(event_timestamp))`; Postgres
--   rejects a generated column as a partition key, so the consumer writes `partition_date` itself
--   (the UTC date of the event's source time).
-- * The seed's `event_id UUID PRIMARY KEY` is rejected on a partitioned table: every unique
--   constraint must contain the partition key. The key here is (event_id, partition_date), and the
--   id is a bigint identity (half the size of a UUID in every index).
-- * Deduplication is UNIQUE (checksum, partition_date). That is global, not per partition: the
--   checksum covers the event's source time, so two copies of one event always share a partition.
-- * Partitions follow the event's *source* time rather than ingestion time for the same reason;
--   ingestion time is still recorded. A DEFAULT partition catches months that were not created
--   ahead, so an event of any age lands (history gets replayed).
-- * The seed's HASH index on event_timestamp only serves equality; range scans need a btree.
-- * `source_table`, `position` (Debezium LSN) and `status` (processed / unmapped / quarantined)
--   make unmapped events findable and replayable once their table gets a mapping.
CREATE TABLE "bronze_sales_events" (
	"event_id" bigint GENERATED ALWAYS AS IDENTITY,
	"source_system" varchar(50) NOT NULL,
	"source_table" varchar(200) NOT NULL,
	"entity" varchar(20),
	"event_type" varchar(20) NOT NULL,
	"event_timestamp" timestamp with time zone NOT NULL,
	"position" varchar(40),
	"partition_date" date NOT NULL,
	"status" varchar(12) NOT NULL,
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
CREATE INDEX "idx_bronze_sales_events_source_status" ON "bronze_sales_events" ("source_system", "status", "source_table");
--> statement-breakpoint
-- Creates monthly partitions of `parent` from `from_month` for `months` months, skipping existing
-- ones. Rows already sitting in the default partition for a new month are moved into it first, so
-- the job can run at any time. Called by migrations (around today) and the scheduled job (ahead).
CREATE OR REPLACE FUNCTION ensure_monthly_partitions(parent text, from_month date, months integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	m date;
	part text;
	created integer := 0;
BEGIN
	FOR i IN 0 .. months - 1 LOOP
		m := (date_trunc('month', from_month) + make_interval(months => i))::date;
		part := format('%s_%s', parent, to_char(m, 'YYYY_MM'));
		CONTINUE WHEN to_regclass(part) IS NOT NULL;
		EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS)', part, parent);
		EXECUTE format(
			'WITH moved AS (DELETE FROM %I WHERE partition_date >= %L AND partition_date < %L RETURNING *) INSERT INTO %I OVERRIDING SYSTEM VALUE SELECT * FROM moved',
			parent || '_default', m, (m + interval '1 month')::date, part);
		EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
			parent, part, m, (m + interval '1 month')::date);
		created := created + 1;
	END LOOP;
	RETURN created;
END $$;
--> statement-breakpoint
SELECT ensure_monthly_partitions('bronze_sales_events', (date_trunc('month', now()) - interval '1 month')::date, 4);
