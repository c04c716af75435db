CREATE TABLE "kpi_minute_slice" (
	"dim" varchar(20) NOT NULL,
	"member" varchar(100) NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"orders" integer DEFAULT 0 NOT NULL,
	"quantity" bigint DEFAULT 0 NOT NULL,
	"revenue" numeric(18, 2) DEFAULT '0' NOT NULL,
	"net_revenue" numeric(18, 2) DEFAULT '0' NOT NULL,
	"costs" numeric(18, 2) DEFAULT '0' NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "kpi_minute_slice_dim_member_minute_pk" PRIMARY KEY("dim","member","minute")
);
--> statement-breakpoint
CREATE INDEX "idx_kpi_minute_slice_minute" ON "kpi_minute_slice" USING btree ("minute");