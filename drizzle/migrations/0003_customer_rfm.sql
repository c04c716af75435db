CREATE TABLE "customer_rfm" (
	"customer_id" varchar(100) PRIMARY KEY NOT NULL,
	"first_day" date NOT NULL,
	"last_day" date NOT NULL,
	"recency_days" integer NOT NULL,
	"orders" integer NOT NULL,
	"revenue" numeric(18, 2) NOT NULL,
	"net_revenue" numeric(18, 2) NOT NULL,
	"costs" numeric(18, 2) NOT NULL,
	"r_score" smallint NOT NULL,
	"f_score" smallint NOT NULL,
	"m_score" smallint NOT NULL,
	"rfm_segment" varchar(30) NOT NULL
);
--> statement-breakpoint
CREATE TABLE "customer_rfm_state" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"refreshed_at" timestamp with time zone NOT NULL,
	"as_of_day" date NOT NULL,
	"customers" integer NOT NULL,
	"duration_ms" integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX "idx_customer_rfm_segment" ON "customer_rfm" USING btree ("rfm_segment","net_revenue");