CREATE TABLE "dead_letters" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"queue" varchar(100) NOT NULL,
	"message_id" text NOT NULL,
	"attempts" smallint NOT NULL,
	"body" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"replayed_at" timestamp with time zone,
	CONSTRAINT "dead_letters_message_id_unique" UNIQUE("message_id")
);
--> statement-breakpoint
CREATE TABLE "kpi_daily" (
	"day" date PRIMARY KEY NOT NULL,
	"revenue" numeric(16, 2) DEFAULT '0' NOT NULL,
	"net_revenue" numeric(16, 2) DEFAULT '0' NOT NULL,
	"orders" integer DEFAULT 0 NOT NULL,
	"quantity" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "quarantine" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"source_system" varchar(50) NOT NULL,
	"reason" text NOT NULL,
	"raw_event" jsonb NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"replayed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "silver_sales_clean" (
	"sale_id" uuid PRIMARY KEY NOT NULL,
	"customer_id" uuid,
	"product_id" uuid,
	"sale_date" date,
	"sale_timestamp" timestamp with time zone,
	"quantity" integer,
	"unit_price" numeric(12, 2),
	"discount" numeric(12, 2) DEFAULT '0' NOT NULL,
	"unit_cost" numeric(12, 2),
	"currency_code" varchar(3) DEFAULT 'USD' NOT NULL,
	"region" varchar(50),
	"sales_rep_id" uuid,
	"data_quality_score" numeric(3, 2) DEFAULT '1.00' NOT NULL,
	"is_deleted" boolean DEFAULT false NOT NULL,
	"last_event_at" timestamp with time zone NOT NULL,
	"source_system" varchar(50) NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"etl_batch_id" uuid NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sources" (
	"name" varchar(50) PRIMARY KEY NOT NULL,
	"secret" text NOT NULL,
	"previous_secret" text,
	"previous_secret_expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone
);
