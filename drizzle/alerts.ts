/**
 * The alert tables: rules and channels (written by the admin API, cached by the live room),
 * incidents (one row per alert_id, its timeline inside) and every delivery attempt.
 * A separate file from `schema.ts` so the alerting schema reads as one unit.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  varchar,
} from "drizzle-orm/pg-core";

const tstz = (name: string) => timestamp(name, { withTimezone: true });

/** Where alerts go: a webhook, Slack, PagerDuty or email. */
export const alertChannels = pgTable("alert_channels", {
  id: varchar("id", { length: 50 }).primaryKey(),
  type: varchar("type", { length: 20 }).notNull(),
  /** The channel's settings (url, routing key, recipients) without its secret. */
  config: jsonb("config").$type<Record<string, unknown>>().notNull(),
  /** A webhook's `whsec_` signing secret (never returned after creation). */
  secret: text("secret"),
  /** Set when the endpoint answered 410 Gone: nothing is sent until the channel is PUT again. */
  disabledAt: tstz("disabled_at"),
  disabledReason: text("disabled_reason"),
  createdAt: tstz("created_at").notNull().defaultNow(),
  updatedAt: tstz("updated_at").notNull().defaultNow(),
});

/** An alert rule as the admin wrote it (validated by `workers/alerts/rules.ts`). */
export const alertRules = pgTable("alert_rules", {
  id: varchar("id", { length: 50 }).primaryKey(),
  /** The whole validated rule, defaults filled in. */
  definition: jsonb("definition").$type<Record<string, unknown>>().notNull(),
  enabled: boolean("enabled").notNull().default(true),
  /** Bumped on every change, so rooms know their cached copy is stale. */
  version: integer("version").notNull().default(1),
  createdAt: tstz("created_at").notNull().defaultNow(),
  updatedAt: tstz("updated_at").notNull().defaultNow(),
});

/** One incident of a rule on a slice: firing, then resolved. */
export const alertIncidents = pgTable(
  "alert_incidents",
  {
    alertId: varchar("alert_id", { length: 80 }).primaryKey(),
    ruleId: varchar("rule_id", { length: 50 }).notNull(),
    /** `all|` or `region|EMEA`… */
    slice: varchar("slice", { length: 130 }).notNull(),
    status: varchar("status", { length: 12 }).notNull(),
    startedAt: tstz("started_at").notNull(),
    endedAt: tstz("ended_at"),
    /** The latest figures and explanation, as delivered. */
    detail: jsonb("detail").$type<Record<string, unknown>>().notNull(),
    /** Every transition: `[{at, status, observed, expected}]`. */
    timeline: jsonb("timeline").$type<Record<string, unknown>[]>().notNull().default([]),
    acknowledgedAt: tstz("acknowledged_at"),
    updatedAt: tstz("updated_at").notNull().defaultNow(),
  },
  (t) => [
    index("idx_alert_incidents_started").on(t.startedAt),
    // At most one firing incident per rule and slice, whatever reaches the database twice.
    uniqueIndex("uq_alert_incidents_firing").on(t.ruleId, t.slice).where(sql`status = 'firing'`),
  ],
);

/** Every delivery attempt, successful or not. */
export const alertDeliveries = pgTable(
  "alert_deliveries",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    /** Stable across retries of one notification: the webhook's `webhook-id`. */
    deliveryId: varchar("delivery_id", { length: 160 }).notNull(),
    alertId: varchar("alert_id", { length: 80 }),
    channelId: varchar("channel_id", { length: 50 }).notNull(),
    /** `firing`, `resolved`, `renotify` or `test`. */
    kind: varchar("kind", { length: 12 }).notNull(),
    attempt: smallint("attempt").notNull(),
    /** `delivered`, `retrying`, `failed` (gave up), `disabled` (410) or `skipped`. */
    outcome: varchar("outcome", { length: 12 }).notNull(),
    httpStatus: smallint("http_status"),
    error: text("error"),
    durationMs: doublePrecision("duration_ms"),
    createdAt: tstz("created_at").notNull().defaultNow(),
  },
  (t) => [
    index("idx_alert_deliveries_created").on(t.createdAt),
    index("idx_alert_deliveries_delivery").on(t.deliveryId),
  ],
);
