CREATE TABLE "ingest_receipts" (
	"delivery" varchar(80) PRIMARY KEY NOT NULL,
	"source" varchar(50) NOT NULL,
	"events" integer NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "dead_letters" ADD COLUMN "error" text;--> statement-breakpoint
ALTER TABLE "dead_letters" ADD COLUMN "events" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "dead_letters" ADD COLUMN "replay_error" text;--> statement-breakpoint
ALTER TABLE "quarantine" ADD COLUMN "delivery" varchar(160);--> statement-breakpoint
CREATE INDEX "idx_ingest_receipts_source" ON "ingest_receipts" USING btree ("source");--> statement-breakpoint
CREATE UNIQUE INDEX "uq_quarantine_delivery" ON "quarantine" USING btree ("delivery");--> statement-breakpoint
-- Bronze records which delivery (queue message) stored each event, so a redelivered message is told
-- apart from the same event sent again: only the latter is a duplicate in the ledger.
ALTER TABLE "bronze_sales_events" ADD COLUMN "delivery" varchar(80);
