-- Receipts compacted by the scheduled job: per source, the events of the receipts it removed, so the
-- ledger's accepted count stays exact while ingest_receipts keeps only the recent ones.
CREATE TABLE "ingest_receipt_totals" (
	"source" varchar(50) PRIMARY KEY NOT NULL,
	"events" bigint DEFAULT 0 NOT NULL,
	"receipts" bigint DEFAULT 0 NOT NULL,
	"compacted_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "idx_ingest_receipts_received" ON "ingest_receipts" USING btree ("received_at");
