/**
 * Briefing subscriptions: who gets the daily briefing, through which alert channel, at what local
 * time. A separate file from `schema.ts`, like the alert tables it refers to.
 */
import { boolean, date, pgTable, timestamp, varchar } from "drizzle-orm/pg-core";
import { alertChannels } from "./alerts.ts";

const tstz = (name: string) => timestamp(name, { withTimezone: true });

export const briefingSubscriptions = pgTable("briefing_subscriptions", {
  id: varchar("id", { length: 50 }).primaryKey(),
  channelId: varchar("channel_id", { length: 50 })
    .notNull()
    .references(() => alertChannels.id, { onDelete: "cascade" }),
  /** `HH:MM`, 24-hour, in `timezone`. */
  localTime: varchar("local_time", { length: 5 }).notNull(),
  /** An IANA time zone (`Europe/Paris`). */
  timezone: varchar("timezone", { length: 64 }).notNull(),
  enabled: boolean("enabled").notNull().default(true),
  /** The subscriber's local date of the last briefing sent: at most one a day. */
  lastSentDate: date("last_sent_date", { mode: "string" }),
  createdAt: tstz("created_at").notNull().defaultNow(),
  updatedAt: tstz("updated_at").notNull().defaultNow(),
});
