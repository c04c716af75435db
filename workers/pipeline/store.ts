/**
 * The consumer's SQL, one named function per statement, all set-based (UNNEST of arrays): a batch
 * costs the same few round trips whether it holds 1 event or 1,000, and nothing scans history.
 */
import type { Db } from "../db/client.ts";
import { dayIn } from "../kpi/calendar.ts";
import { fromCents, toCents } from "../kpi/money.ts";
import type { DayDelta, SaleState } from "./sales.ts";

export interface BronzeRow {
  source: string;
  entity: string;
  eventType: string;
  eventTimestamp: string;
  raw: unknown;
  checksum: string;
  receivedAt: string;
}

/** Inserts events into bronze; returns the checksums that were new (the rest are duplicates). */
export async function insertBronze(tx: Db, rows: BronzeRow[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const result = await tx.query<{ checksum: string }>(
    `INSERT INTO bronze_sales_events
       (source_system, entity, event_type, event_timestamp, partition_date, raw_payload, checksum, ingestion_timestamp)
     SELECT s, e, t, ts, (ts AT TIME ZONE 'UTC')::date, r, c, rcv
       FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::jsonb[], $6::text[], $7::timestamptz[])
         AS x(s, e, t, ts, r, c, rcv)
     ON CONFLICT (checksum, partition_date) DO NOTHING
     RETURNING checksum`,
    [
      rows.map((r) => r.source),
      rows.map((r) => r.entity),
      rows.map((r) => r.eventType),
      rows.map((r) => r.eventTimestamp),
      rows.map((r) => JSON.stringify(r.raw)),
      rows.map((r) => r.checksum),
      rows.map((r) => r.receivedAt),
    ],
  );
  return new Set(result.rows.map((r) => r.checksum));
}

/**
 * Locks and loads the current state of the given sales. The advisory locks (taken in a fixed order)
 * also cover sales that do not exist yet, so two concurrent batches cannot both count a new sale.
 */
export async function lockSales(tx: Db, saleIds: string[]): Promise<Map<string, SaleState>> {
  const ids = [...new Set(saleIds)].sort();
  if (ids.length === 0) return new Map();
  await tx.query(
    "SELECT pg_advisory_xact_lock(hashtextextended(id, 0)) FROM unnest($1::text[]) AS id ORDER BY id",
    [ids],
  );
  const result = await tx.query<{
    sale_id: string;
    is_deleted: boolean;
    last_event_at: Date;
    customer_id: string | null;
    product_id: string | null;
    sale_timestamp: Date | null;
    quantity: number | null;
    unit_price: string | null;
    discount: string;
    unit_cost: string | null;
    currency_code: string;
    region: string | null;
    sales_rep_id: string | null;
    source_system: string;
  }>(
    `SELECT sale_id, is_deleted, last_event_at, customer_id, product_id, sale_timestamp, quantity, unit_price::text,
            discount::text, unit_cost::text, currency_code, region, sales_rep_id, source_system
       FROM silver_sales_clean WHERE sale_id = ANY($1::uuid[])`,
    [ids],
  );
  return new Map(
    result.rows.map((r) => [
      r.sale_id,
      {
        saleId: r.sale_id,
        isDeleted: r.is_deleted,
        lastEventAt: r.last_event_at.toISOString(),
        customerId: r.customer_id,
        productId: r.product_id,
        saleTimestamp: r.sale_timestamp?.toISOString() ?? null,
        quantity: r.quantity ?? 0,
        unitPriceCents: r.unit_price === null ? 0 : toCents(r.unit_price),
        discountCents: toCents(r.discount),
        unitCostCents: r.unit_cost === null ? null : toCents(r.unit_cost),
        currencyCode: r.currency_code,
        region: r.region,
        salesRepId: r.sales_rep_id,
        sourceSystem: r.source_system,
      },
    ]),
  );
}

/** Writes the new state of changed sales. */
export async function upsertSilverSales(
  tx: Db,
  sales: SaleState[],
  batchId: string,
  timeZone: string,
): Promise<void> {
  if (sales.length === 0) return;
  const money = (cents: number | null) => (cents === null ? null : fromCents(cents).toFixed(2));
  await tx.query(
    `INSERT INTO silver_sales_clean
       (sale_id, is_deleted, last_event_at, customer_id, product_id, sale_date, sale_timestamp, quantity, unit_price,
        discount, unit_cost, currency_code, region, sales_rep_id, source_system, etl_batch_id)
     SELECT * FROM unnest($1::uuid[], $2::boolean[], $3::timestamptz[], $4::uuid[], $5::uuid[], $6::date[],
                          $7::timestamptz[], $8::int[], $9::numeric[], $10::numeric[], $11::numeric[], $12::text[],
                          $13::text[], $14::uuid[], $15::text[], $16::uuid[])
     ON CONFLICT (sale_id) DO UPDATE SET
       is_deleted = excluded.is_deleted, last_event_at = excluded.last_event_at, customer_id = excluded.customer_id,
       product_id = excluded.product_id, sale_date = excluded.sale_date, sale_timestamp = excluded.sale_timestamp,
       quantity = excluded.quantity, unit_price = excluded.unit_price, discount = excluded.discount,
       unit_cost = excluded.unit_cost, currency_code = excluded.currency_code, region = excluded.region,
       sales_rep_id = excluded.sales_rep_id, source_system = excluded.source_system,
       etl_batch_id = excluded.etl_batch_id, updated_at = now()`,
    [
      sales.map((s) => s.saleId),
      sales.map((s) => s.isDeleted),
      sales.map((s) => s.lastEventAt),
      sales.map((s) => s.customerId),
      sales.map((s) => s.productId),
      sales.map((s) => (s.saleTimestamp ? dayIn(s.saleTimestamp, timeZone) : null)),
      sales.map((s) => s.saleTimestamp),
      sales.map((s) => (s.isDeleted ? null : s.quantity)),
      sales.map((s) => (s.isDeleted ? null : money(s.unitPriceCents))),
      sales.map((s) => money(s.discountCents)),
      sales.map((s) => money(s.unitCostCents)),
      sales.map((s) => s.currencyCode),
      sales.map((s) => s.region),
      sales.map((s) => s.salesRepId),
      sales.map((s) => s.sourceSystem),
      sales.map(() => batchId),
    ],
  );
}

/** A day's absolute rollup values, as sent to the live room. */
export interface DayTotals {
  day: string;
  revenue: number;
  netRevenue: number;
  orders: number;
  quantity: number;
  updatedAt: string;
}

type DayRow = {
  day: string;
  revenue: string;
  net_revenue: string;
  orders: number;
  quantity: number;
  updated_at: string;
};

/** Microsecond ISO time, so the room can order two writes within the same millisecond. */
const UPDATED_AT = `to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS updated_at`;

function toTotals(r: DayRow): DayTotals {
  return {
    day: r.day,
    revenue: Number(r.revenue),
    netRevenue: Number(r.net_revenue),
    orders: r.orders,
    quantity: r.quantity,
    updatedAt: r.updated_at,
  };
}

/** Adds the deltas to the daily rollup and returns the touched days' absolute values. */
export async function applyDailyDeltas(tx: Db, deltas: Map<string, DayDelta>): Promise<DayTotals[]> {
  const days = [...deltas.keys()].sort();
  if (days.length === 0) return [];
  const d = days.map((day) => deltas.get(day)!);
  const result = await tx.query<DayRow>(
    `INSERT INTO kpi_daily AS k (day, revenue, net_revenue, orders, quantity, updated_at)
     SELECT day, rc / 100.0, nc / 100.0, o, q, clock_timestamp()
       FROM unnest($1::date[], $2::bigint[], $3::bigint[], $4::int[], $5::int[]) AS x(day, rc, nc, o, q)
      ORDER BY day
     ON CONFLICT (day) DO UPDATE SET
       revenue = k.revenue + excluded.revenue, net_revenue = k.net_revenue + excluded.net_revenue,
       orders = k.orders + excluded.orders, quantity = k.quantity + excluded.quantity,
       -- clock_timestamp(), not now(): rows are written in lock order, so the later write carries the
       -- later time and the live room can keep the newest absolute value whatever order RPCs arrive in.
       updated_at = clock_timestamp()
     RETURNING day::text, revenue::text, net_revenue::text, orders, quantity, ${UPDATED_AT}`,
    [
      days,
      d.map((x) => x.revenueCents),
      d.map((x) => x.netRevenueCents),
      d.map((x) => x.orders),
      d.map((x) => x.quantity),
    ],
  );
  return result.rows.map(toTotals);
}

/** Reads the rollup for a range of days (the room's reconciliation and the summary API). */
export async function readDailyTotals(db: Db, from: string, to: string): Promise<DayTotals[]> {
  const result = await db.query<DayRow>(
    `SELECT day::text, revenue::text, net_revenue::text, orders, quantity, ${UPDATED_AT}
       FROM kpi_daily WHERE day BETWEEN $1::date AND $2::date ORDER BY day`,
    [from, to],
  );
  return result.rows.map(toTotals);
}

export interface QuarantineRow {
  source: string;
  reason: string;
  raw: unknown;
  receivedAt: string;
}

export async function insertQuarantine(tx: Db, rows: QuarantineRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO quarantine (source_system, reason, raw_event, received_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::timestamptz[])`,
    [
      rows.map((r) => r.source),
      rows.map((r) => r.reason),
      rows.map((r) => JSON.stringify(r.raw ?? null)),
      rows.map((r) => r.receivedAt),
    ],
  );
}

/** Records when each source was last heard from. */
export async function touchSources(tx: Db, seen: Map<string, string>): Promise<void> {
  if (seen.size === 0) return;
  await tx.query(
    `UPDATE sources s SET last_seen_at = GREATEST(s.last_seen_at, x.at)
       FROM unnest($1::text[], $2::timestamptz[]) AS x(name, at) WHERE s.name = x.name`,
    [[...seen.keys()], [...seen.values()]],
  );
}

export async function insertDeadLetters(
  tx: Db,
  rows: { queue: string; messageId: string; attempts: number; body: unknown }[],
): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO dead_letters (queue, message_id, attempts, body)
     SELECT * FROM unnest($1::text[], $2::text[], $3::smallint[], $4::jsonb[]) ON CONFLICT (message_id) DO NOTHING`,
    [
      rows.map((r) => r.queue),
      rows.map((r) => r.messageId),
      rows.map((r) => r.attempts),
      rows.map((r) => JSON.stringify(r.body ?? null)),
    ],
  );
}
