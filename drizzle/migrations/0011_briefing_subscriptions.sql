CREATE TABLE "briefing_subscriptions" (
	"id" varchar(50) PRIMARY KEY NOT NULL,
	"channel_id" varchar(50) NOT NULL,
	"local_time" varchar(5) NOT NULL,
	"timezone" varchar(64) NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"last_sent_date" date,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "briefing_subscriptions" ADD CONSTRAINT "briefing_subscriptions_channel_id_alert_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."alert_channels"("id") ON DELETE cascade ON UPDATE no action;