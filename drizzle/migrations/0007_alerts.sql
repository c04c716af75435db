CREATE TABLE "alert_channels" (
	"id" varchar(50) PRIMARY KEY NOT NULL,
	"type" varchar(20) NOT NULL,
	"config" jsonb NOT NULL,
	"secret" text,
	"disabled_at" timestamp with time zone,
	"disabled_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "alert_deliveries" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "alert_deliveries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"delivery_id" varchar(160) NOT NULL,
	"alert_id" varchar(80),
	"channel_id" varchar(50) NOT NULL,
	"kind" varchar(12) NOT NULL,
	"attempt" smallint NOT NULL,
	"outcome" varchar(12) NOT NULL,
	"http_status" smallint,
	"error" text,
	"duration_ms" double precision,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "alert_incidents" (
	"alert_id" varchar(80) PRIMARY KEY NOT NULL,
	"rule_id" varchar(50) NOT NULL,
	"slice" varchar(130) NOT NULL,
	"status" varchar(12) NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone,
	"detail" jsonb NOT NULL,
	"timeline" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"acknowledged_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "alert_rules" (
	"id" varchar(50) PRIMARY KEY NOT NULL,
	"definition" jsonb NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "idx_alert_deliveries_created" ON "alert_deliveries" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "idx_alert_deliveries_delivery" ON "alert_deliveries" USING btree ("delivery_id");--> statement-breakpoint
CREATE INDEX "idx_alert_incidents_started" ON "alert_incidents" USING btree ("started_at");--> statement-breakpoint
CREATE UNIQUE INDEX "uq_alert_incidents_firing" ON "alert_incidents" USING btree ("rule_id","slice") WHERE status = 'firing';