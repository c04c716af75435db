/**
 * The database schema as code: every table drizzle can express lives here, and row types come
 * from it (`$inferSelect`). Partitioned tables and SQL functions are created by the hand-written
 * migrations beside this file (drizzle-kit cannot express `PARTITION BY`); their row shapes are in
 * `partitioned.ts`, outside drizzle-kit's view.
 *
 * Business keys (sale, customer, product, sales rep) are text, not UUID: source systems use
 * integers (Debezium's `inventory.products.id = 101`), UUIDs or their own codes.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  date,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  varchar,
} from "drizzle-orm/pg-core";

const tstz = (name: string) => timestamp(name, { withTimezone: true });
const money = (name: string) => numeric(name, { precision: 14, scale: 2 });
const total = (name: string) => numeric(name, { precision: 18, scale: 2 });

// ── Sources ──────────────────────────────────────────────────────────────────────────────────────

/** A source system allowed to post CDC events, with its Standard Webhooks secret. */
export const sources = pgTable("sources", {
  name: varchar("name", { length: 50 }).primaryKey(),
  secret: text("secret").notNull(),
  /** The secret before the last rotation; still accepted until `previousSecretExpiresAt`. */
  previousSecret: text("previous_secret"),
  previousSecretExpiresAt: tstz("previous_secret_expires_at"),
  createdAt: tstz("created_at").notNull().defaultNow(),
  lastSeenAt: tstz("last_seen_at"),
});

/** How a source's table maps onto one of our entities: source column → our field. */
export const sourceMappings = pgTable(
  "source_mappings",
  {
    source: varchar("source", { length: 50 }).notNull(),
    /** `schema.table` for Debezium (`inventory.orders`). */
    sourceTable: varchar("source_table", { length: 200 }).notNull(),
    entity: varchar("entity", { length: 20 }).notNull(),
    /** `{ "amount": "unit_price", "id": "sale_id" }` */
    columns: jsonb("columns").$type<Record<string, string>>().notNull(),
    /** Values for fields the table lacks: `{ "currency_code": "USD" }`. */
    defaults: jsonb("defaults").$type<Record<string, unknown>>().notNull().default({}),
    updatedAt: tstz("updated_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.source, t.sourceTable] })],
);

/** Per-source counters, maintained in the consumer's transaction. */
export const sourceStats = pgTable("source_stats", {
  source: varchar("source", { length: 50 }).primaryKey(),
  accepted: bigint("accepted", { mode: "number" }).notNull().default(0),
  processed: bigint("processed", { mode: "number" }).notNull().default(0),
  duplicates: bigint("duplicates", { mode: "number" }).notNull().default(0),
  quarantined: bigint("quarantined", { mode: "number" }).notNull().default(0),
  unmapped: bigint("unmapped", { mode: "number" }).notNull().default(0),
  lastEventAt: tstz("last_event_at"),
});

// ── Silver: current state of every entity ───────────────────────────────────────────────────────

/** Columns every current-state table carries to decide which event wins. */
const versioned = {
  isDeleted: boolean("is_deleted").notNull().default(false),
  /** Source time of the winning event; the latest wins, whatever the arrival order. */
  lastEventAt: tstz("last_event_at").notNull(),
  /** Source position (Debezium LSN, zero-padded) breaking ties in source time. */
  lastPosition: varchar("last_position", { length: 40 }),
  sourceSystem: varchar("source_system", { length: 50 }).notNull(),
  updatedAt: tstz("updated_at").notNull().defaultNow(),
};

/**
 * The current state of every sale. Keyed by sale alone and not partitioned: the seed's
 * `PARTITION BY RANGE (sale_date)` with `sale_id` as primary key is rejected by Postgres (the key
 * must contain the partition column), and an UPDATE that moves a sale to another day would turn
 * into a cross-partition move. Deleted sales stay as tombstones so an older UPDATE arriving late
 * cannot bring them back. Money is in the reporting currency (`original_*` keep what was sent).
 * The derived columns (keys, segment, category) record which fact and slice rows hold the sale.
 */
export const silverSalesClean = pgTable(
  "silver_sales_clean",
  {
    saleId: varchar("sale_id", { length: 100 }).primaryKey(),
    customerId: varchar("customer_id", { length: 100 }),
    productId: varchar("product_id", { length: 100 }),
    saleDate: date("sale_date"),
    saleTimestamp: tstz("sale_timestamp"),
    quantity: integer("quantity"),
    unitPrice: money("unit_price"),
    discount: money("discount").notNull().default("0"),
    unitCost: money("unit_cost"),
    /** The seed's generated gross amount, kept. */
    totalAmount: numeric("total_amount", { precision: 16, scale: 2 }).generatedAlwaysAs(
      sql`quantity * unit_price`,
    ),
    currencyCode: varchar("currency_code", { length: 3 }).notNull().default("USD"),
    originalCurrency: varchar("original_currency", { length: 3 }),
    originalUnitPrice: money("original_unit_price"),
    region: varchar("region", { length: 50 }),
    salesRepId: varchar("sales_rep_id", { length: 100 }),
    dataQualityScore: numeric("data_quality_score", { precision: 3, scale: 2 }).notNull().default("1.00"),
    dataQualityIssues: text("data_quality_issues").array().notNull().default(sql`'{}'::text[]`),
    customerKey: integer("customer_key"),
    productKey: integer("product_key"),
    regionKey: integer("region_key"),
    salesRepKey: integer("sales_rep_key"),
    customerSegment: varchar("customer_segment", { length: 50 }),
    productCategory: varchar("product_category", { length: 100 }),
    createdAt: tstz("created_at").notNull().defaultNow(),
    etlBatchId: varchar("etl_batch_id", { length: 36 }).notNull(),
    ...versioned,
  },
  (t) => [
    // Migration 0015 adds INCLUDE columns (every column the silver reports read) for index-only
    // scans by date; drizzle's index builder cannot declare them.
    index("idx_silver_sales_day").on(t.saleDate).where(sql`NOT is_deleted`),
    // Migration 0016: a region's sales by date, with the day index's columns (INCLUDE, as above).
    index("idx_silver_sales_region_day").on(t.region, t.saleDate).where(sql`NOT is_deleted`),
    index("idx_silver_sales_customer").on(t.customerId, t.saleDate).where(sql`NOT is_deleted`),
    index("idx_silver_sales_product").on(t.productId),
  ],
);

export const silverCustomers = pgTable("silver_customers", {
  customerId: varchar("customer_id", { length: 100 }).primaryKey(),
  customerName: varchar("customer_name", { length: 255 }),
  customerSegment: varchar("customer_segment", { length: 50 }),
  geographicRegion: varchar("geographic_region", { length: 50 }),
  acquisitionDate: date("acquisition_date"),
  /** NULL: the source did not say (the dimension then treats the customer as active). */
  isActive: boolean("is_active"),
  ...versioned,
});

export const silverProducts = pgTable("silver_products", {
  productId: varchar("product_id", { length: 100 }).primaryKey(),
  productName: varchar("product_name", { length: 255 }),
  category: varchar("category", { length: 100 }),
  unitPrice: money("unit_price"),
  unitCost: money("unit_cost"),
  ...versioned,
});

export const silverSalesReps = pgTable("silver_sales_reps", {
  salesRepId: varchar("sales_rep_id", { length: 100 }).primaryKey(),
  name: varchar("name", { length: 255 }),
  region: varchar("region", { length: 50 }),
  ...versioned,
});

export const silverRegions = pgTable("silver_regions", {
  regionCode: varchar("region_code", { length: 50 }).primaryKey(),
  regionName: varchar("region_name", { length: 255 }),
  ...versioned,
});

/** Rates into the reporting currency. A sale in a currency without a rate is quarantined. */
export const exchangeRates = pgTable("exchange_rates", {
  currencyCode: varchar("currency_code", { length: 3 }).primaryKey(),
  rateToReporting: numeric("rate_to_reporting", { precision: 18, scale: 8 }).notNull(),
  updatedAt: tstz("updated_at").notNull().defaultNow(),
});

/** Events that could not be processed, with the rule that failed: visible, counted, replayable. */
export const quarantine = pgTable(
  "quarantine",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    sourceSystem: varchar("source_system", { length: 50 }).notNull(),
    sourceTable: varchar("source_table", { length: 200 }),
    entity: varchar("entity", { length: 20 }),
    rule: varchar("rule", { length: 60 }).notNull(),
    reason: text("reason").notNull(),
    rawEvent: jsonb("raw_event").notNull(),
    checksum: varchar("checksum", { length: 64 }),
    receivedAt: tstz("received_at").notNull(),
    createdAt: tstz("created_at").notNull().defaultNow(),
    replayedAt: tstz("replayed_at"),
    /**
     * For a row without a checksum of its own (rejected at the webhook, refused by the database),
     * which delivery of which event it records, so a redelivered message does not record it twice.
     */
    delivery: varchar("delivery", { length: 160 }),
  },
  (t) => [
    index("idx_quarantine_source").on(t.sourceSystem, t.createdAt),
    uniqueIndex("uq_quarantine_delivery").on(t.delivery),
  ],
);

/** Queue messages that failed every retry, recorded by the dead-letter queue's consumer. */
export const deadLetters = pgTable("dead_letters", {
  id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
  queue: varchar("queue", { length: 100 }).notNull(),
  messageId: text("message_id").notNull().unique(),
  source: varchar("source", { length: 50 }),
  attempts: smallint("attempts").notNull(),
  body: jsonb("body").notNull(),
  createdAt: tstz("created_at").notNull().defaultNow(),
  replayedAt: tstz("replayed_at"),
  /** The error of the last attempt (NULL when the message reached the queue without one). */
  error: text("error"),
  /** Events the message carries (accepted and rejected at the webhook): its share of the ledger. */
  events: integer("events").notNull().default(0),
  /** The error of the last replay that failed; the row stays to be replayed again. */
  replayError: text("replay_error"),
});

/**
 * What the webhook accepted: one row per queue message it sent, with the events it carries. The
 * webhook writes it before answering 202 when the database answers; the consumer writes it too
 * (a no-op when present), so a message accepted while the database was down is counted when it
 * lands. The ledger of `pipeline/health` balances these against where the events ended up.
 */
export const ingestReceipts = pgTable(
  "ingest_receipts",
  {
    delivery: varchar("delivery", { length: 80 }).primaryKey(),
    source: varchar("source", { length: 50 }).notNull(),
    events: integer("events").notNull(),
    receivedAt: tstz("received_at").notNull(),
    createdAt: tstz("created_at").notNull().defaultNow(),
  },
  (t) => [
    index("idx_ingest_receipts_source").on(t.source),
    // The scheduled compaction takes the oldest first.
    index("idx_ingest_receipts_received").on(t.receivedAt),
  ],
);

/**
 * Receipts compacted by the scheduled job: per source, the events of the receipts it removed, so the
 * ledger's `accepted` stays exact while `ingest_receipts` keeps only the recent ones (those a
 * redelivered or dead-lettered message could still write again).
 */
export const ingestReceiptTotals = pgTable("ingest_receipt_totals", {
  source: varchar("source", { length: 50 }).primaryKey(),
  events: bigint("events", { mode: "number" }).notNull().default(0),
  receipts: bigint("receipts", { mode: "number" }).notNull().default(0),
  compactedAt: tstz("compacted_at").notNull().defaultNow(),
});

/** The consumer's last batch: when it ran and how old its oldest event was (the pipeline's lag). */
export const pipelineState = pgTable("pipeline_state", {
  id: smallint("id").primaryKey().default(1),
  lastBatchAt: tstz("last_batch_at").notNull(),
  lastBatchEvents: integer("last_batch_events").notNull(),
  /** Age of the batch's oldest event (webhook accepted → processing) when the batch ran. */
  lastBatchLagMs: integer("last_batch_lag_ms").notNull(),
});

// ── Gold: the star schema ────────────────────────────────────────────────────────────────────────

/** Pre-filled by `fill_dim_time()`; the fiscal year starts in the month given to it. */
export const dimTime = pgTable("dim_time", {
  timeKey: integer("time_key").primaryKey(),
  date: date("date").notNull().unique(),
  year: integer("year").notNull(),
  quarter: integer("quarter").notNull(),
  month: integer("month").notNull(),
  /** ISO week and its year (the two differ around New Year). */
  week: integer("week").notNull(),
  isoYear: integer("iso_year").notNull(),
  dayOfYear: integer("day_of_year").notNull(),
  /** ISO: Monday = 1 … Sunday = 7. */
  dayOfWeek: integer("day_of_week").notNull(),
  isWeekend: boolean("is_weekend").notNull(),
  isHoliday: boolean("is_holiday").notNull().default(false),
  fiscalYear: integer("fiscal_year").notNull(),
  fiscalQuarter: integer("fiscal_quarter").notNull(),
});

/**
 * SCD type 2: a change of segment or region closes the current version and opens a new one. The
 * seed's DATE validity is too coarse for a change in the middle of a day, so validity is a time
 * range [effective_from, expiry_at). A sale arriving before its customer creates an *inferred*
 * member (segment "Unknown") that the real record later completes in place.
 */
export const dimCustomer = pgTable(
  "dim_customer",
  {
    customerKey: integer("customer_key").primaryKey().generatedAlwaysAsIdentity(),
    customerId: varchar("customer_id", { length: 100 }).notNull(),
    customerName: varchar("customer_name", { length: 255 }).notNull(),
    customerSegment: varchar("customer_segment", { length: 50 }).notNull(),
    geographicRegion: varchar("geographic_region", { length: 50 }).notNull(),
    lifetimeValue: money("lifetime_value"),
    acquisitionDate: date("acquisition_date"),
    isActive: boolean("is_active").notNull().default(true),
    isInferred: boolean("is_inferred").notNull().default(false),
    effectiveFrom: tstz("effective_from").notNull(),
    expiryAt: tstz("expiry_at").notNull().default(sql`'infinity'`),
    isCurrent: boolean("is_current").notNull().default(true),
  },
  (t) => [
    uniqueIndex("uq_dim_customer_current").on(t.customerId).where(sql`is_current`),
    index("idx_dim_customer_validity").on(t.customerId, t.effectiveFrom),
  ],
);

export const dimProduct = pgTable("dim_product", {
  productKey: integer("product_key").primaryKey().generatedAlwaysAsIdentity(),
  productId: varchar("product_id", { length: 100 }).notNull().unique(),
  productName: varchar("product_name", { length: 255 }).notNull(),
  category: varchar("category", { length: 100 }).notNull(),
  unitCost: money("unit_cost"),
  isInferred: boolean("is_inferred").notNull().default(false),
});

export const dimRegion = pgTable("dim_region", {
  regionKey: integer("region_key").primaryKey().generatedAlwaysAsIdentity(),
  regionCode: varchar("region_code", { length: 50 }).notNull().unique(),
  regionName: varchar("region_name", { length: 255 }).notNull(),
});

/** Key 0 is the "no sales rep" member, so a fact's key is never NULL (it is in the primary key). */
export const dimSalesRep = pgTable("dim_sales_rep", {
  salesRepKey: integer("sales_rep_key").primaryKey().generatedByDefaultAsIdentity({ startWith: 1 }),
  salesRepId: varchar("sales_rep_id", { length: 100 }).notNull().unique(),
  name: varchar("name", { length: 255 }).notNull(),
  region: varchar("region", { length: 50 }),
  isInferred: boolean("is_inferred").notNull().default(false),
});

// ── KPI rollups (maintained incrementally by the consumer) ───────────────────────────────────────

/**
 * Daily KPIs per slice: `dim = 'all'` (member '') is the whole business; `region`, `segment`,
 * `category`, `sales_rep` slices serve filtered queries. Additive measures are maintained by
 * adding each batch's differences; unique customers and percentiles are recomputed for the slices a
 * batch touched (from silver, a few thousand rows a day at most).
 */
export const kpiDaySlice = pgTable(
  "kpi_day_slice",
  {
    dim: varchar("dim", { length: 20 }).notNull(),
    member: varchar("member", { length: 100 }).notNull(),
    day: date("day").notNull(),
    orders: integer("orders").notNull().default(0),
    quantity: bigint("quantity", { mode: "number" }).notNull().default(0),
    revenue: total("revenue").notNull().default("0"),
    netRevenue: total("net_revenue").notNull().default("0"),
    costs: total("costs").notNull().default("0"),
    uniqueCustomers: integer("unique_customers").notNull().default(0),
    newCustomers: integer("new_customers").notNull().default(0),
    medianOrderValue: numeric("median_order_value"),
    p90OrderValue: numeric("p90_order_value"),
    updatedAt: tstz("updated_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.dim, t.member, t.day] })],
);

/**
 * Per-minute additive KPIs of the last 48 hours for the live room's slices (`all`, `region`,
 * `segment`, `category`), maintained like `kpi_day_slice` by each batch's differences, so the
 * consumer can send the room *absolute* minute values without scanning silver. Sales older than
 * the window are not added (and rows past it are pruned by the scheduled job): the live charts need
 * 48 hours, history is served by the day slices.
 */
export const kpiMinuteSlice = pgTable(
  "kpi_minute_slice",
  {
    dim: varchar("dim", { length: 20 }).notNull(),
    member: varchar("member", { length: 100 }).notNull(),
    minute: tstz("minute").notNull(),
    orders: integer("orders").notNull().default(0),
    quantity: bigint("quantity", { mode: "number" }).notNull().default(0),
    revenue: total("revenue").notNull().default("0"),
    netRevenue: total("net_revenue").notNull().default("0"),
    costs: total("costs").notNull().default("0"),
    updatedAt: tstz("updated_at").notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.dim, t.member, t.minute] }),
    index("idx_kpi_minute_slice_minute").on(t.minute),
  ],
);

/** Slices whose non-additive measures await recomputation (bulk loads defer it). */
export const kpiDirty = pgTable(
  "kpi_dirty",
  {
    dim: varchar("dim", { length: 20 }).notNull(),
    member: varchar("member", { length: 100 }).notNull(),
    day: date("day").notNull(),
    /** Set again by every batch that touches the slice: the recomputation clears a mark only as it read it. */
    markedAt: tstz("marked_at").notNull().default(sql`clock_timestamp()`),
  },
  (t) => [primaryKey({ columns: [t.dim, t.member, t.day] })],
);

/** First day each customer bought (live sales only): the basis of "new customers". */
export const customerFirstSale = pgTable("customer_first_sale", {
  customerId: varchar("customer_id", { length: 100 }).primaryKey(),
  firstDay: date("first_day").notNull(),
});

export type Source = typeof sources.$inferSelect;
export type SourceMapping = typeof sourceMappings.$inferSelect;

// ── Customer analytics (rebuilt on a schedule: not live tiles) ──────────────────────────────────

/**
 * RFM scores and lifetime value per customer over their live sales, rebuilt from silver by the
 * scheduled job (`workers/kpi/customers/`). Scores are 1–5 by percent rank (ties share a score);
 * `rfm_segment` follows the recency × frequency grid in `rfm.ts`.
 */
export const customerRfm = pgTable(
  "customer_rfm",
  {
    customerId: varchar("customer_id", { length: 100 }).primaryKey(),
    firstDay: date("first_day").notNull(),
    lastDay: date("last_day").notNull(),
    recencyDays: integer("recency_days").notNull(),
    orders: integer("orders").notNull(),
    revenue: total("revenue").notNull(),
    netRevenue: total("net_revenue").notNull(),
    costs: total("costs").notNull(),
    rScore: smallint("r_score").notNull(),
    fScore: smallint("f_score").notNull(),
    mScore: smallint("m_score").notNull(),
    rfmSegment: varchar("rfm_segment", { length: 30 }).notNull(),
  },
  (t) => [index("idx_customer_rfm_segment").on(t.rfmSegment, t.netRevenue)],
);

/** When customer_rfm was last rebuilt, and for which day its recency counts. */
export const customerRfmState = pgTable("customer_rfm_state", {
  id: smallint("id").primaryKey().default(1),
  refreshedAt: tstz("refreshed_at").notNull(),
  asOfDay: date("as_of_day").notNull(),
  customers: integer("customers").notNull(),
  durationMs: integer("duration_ms").notNull(),
});
