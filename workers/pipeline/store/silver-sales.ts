/** Silver sales: load (locked) and write, including the derived columns that place them in gold. */
import type { Db } from "../../db/client.ts";
import { write } from "../../db/statements.ts";
import { fnv1a } from "../../hash.ts";
import { fromCents, toCents } from "../../kpi/money.ts";
import type { SaleState } from "../sale-rules.ts";

/**
 * Lock buckets per namespace. A lock per key would take one slot of the server's shared lock table
 * per record (64 × max_connections by default), and a batch of a few thousand new sales then fails
 * with "out of shared memory"; buckets bound a transaction to this many locks per namespace. Two
 * batches whose keys share a bucket wait for each other, which only costs concurrency.
 */
export const LOCK_BUCKETS = 256;

/** A key's lock bucket (the high bits of its FNV-1a hash; the consumer splits batches by it too). */
export function lockBucket(key: string): number {
  return (fnv1a(key) >>> 24) & (LOCK_BUCKETS - 1);
}

/**
 * Takes transaction-scoped advisory locks on the keys' buckets, in a fixed order. They cover keys
 * that do not exist yet, so two concurrent batches can never both count the same new record.
 */
export async function lockKeys(tx: Db, namespace: string, keys: string[]): Promise<void> {
  const buckets = [...new Set(keys.map(lockBucket))].sort((a, b) => a - b);
  if (buckets.length === 0) return;
  // Sorted below the locking call, so the locks are taken in bucket order (no deadlocks).
  await write(
    tx,
    `SELECT pg_advisory_xact_lock(hashtext($1), bucket)
       FROM (SELECT bucket FROM unnest($2::int[]) AS bucket ORDER BY bucket) AS b`,
    [namespace, buckets],
  );
}

type SaleRow = {
  sale_id: string;
  is_deleted: boolean;
  last_event_at: Date;
  last_position: string | null;
  source_system: string;
  customer_id: string | null;
  product_id: string | null;
  sale_timestamp: Date | null;
  quantity: number | null;
  unit_price: string | null;
  discount: string;
  unit_cost: string | null;
  original_currency: string | null;
  original_unit_price: string | null;
  region: string | null;
  sales_rep_id: string | null;
  sale_date: string | null;
  customer_key: number | null;
  product_key: number | null;
  region_key: number | null;
  sales_rep_key: number | null;
  customer_segment: string | null;
  product_category: string | null;
  data_quality_score: string;
  data_quality_issues: string[];
};

const COLUMNS = `sale_id, is_deleted, last_event_at, last_position, source_system, customer_id, product_id,
  sale_timestamp, quantity, unit_price::text, discount::text, unit_cost::text, original_currency,
  original_unit_price::text, region, sales_rep_id, sale_date::text, customer_key, product_key, region_key,
  sales_rep_key, customer_segment, product_category, data_quality_score::text, data_quality_issues`;

function toState(r: SaleRow): SaleState {
  return {
    saleId: r.sale_id,
    isDeleted: r.is_deleted,
    lastEventAt: r.last_event_at.toISOString(),
    lastPosition: r.last_position,
    sourceSystem: r.source_system,
    customerId: r.customer_id,
    productId: r.product_id,
    saleTimestamp: r.sale_timestamp?.toISOString() ?? null,
    quantity: r.quantity ?? 0,
    unitPriceCents: r.unit_price === null ? 0 : toCents(r.unit_price),
    discountCents: toCents(r.discount),
    unitCostCents: r.unit_cost === null ? null : toCents(r.unit_cost),
    originalCurrency: r.original_currency,
    originalUnitPrice: r.original_unit_price === null ? null : Number(r.original_unit_price),
    region: r.region,
    salesRepId: r.sales_rep_id,
    derived:
      r.is_deleted || r.sale_date === null || r.customer_key === null
        ? null
        : {
            saleDate: r.sale_date,
            customerKey: r.customer_key,
            productKey: r.product_key ?? 0,
            regionKey: r.region_key ?? 0,
            salesRepKey: r.sales_rep_key ?? 0,
            segment: r.customer_segment ?? "Unknown",
            category: r.product_category ?? "Unknown",
            dataQualityScore: Number(r.data_quality_score),
            dataQualityIssues: r.data_quality_issues,
          },
  };
}

/**
 * The current state of the given sales. One primary-key probe per id (a LATERAL that cannot be
 * flattened): as `sale_id = ANY(…)` over a bulk load's thousands of mostly new ids, the planner
 * read silver with a sequential or bitmap scan whenever its statistics lagged the load (up to
 * 360 ms a statement at ~200,000 sales).
 */
export async function loadSales(tx: Db, saleIds: string[]): Promise<Map<string, SaleState>> {
  if (saleIds.length === 0) return new Map();
  const result = await tx.query<SaleRow>(
    `SELECT s.* FROM unnest($1::text[]) AS i(id)
       CROSS JOIN LATERAL (
         SELECT ${COLUMNS} FROM silver_sales_clean WHERE sale_id = i.id OFFSET 0
       ) s`,
    [saleIds],
  );
  return new Map(result.rows.map((r) => [r.sale_id, toState(r)]));
}

/**
 * Live sales whose place in gold a dimension change may move: those of customers changed from
 * a time on (a new SCD2 version), and those of products whose category changed.
 */
export async function loadSalesToRederive(
  tx: Db,
  customersSince: { customerId: string; since: string }[],
  productIds: string[],
): Promise<SaleState[]> {
  if (customersSince.length === 0 && productIds.length === 0) return [];
  // Two index reads, one by customer and one by product, united: as one OR the planner can use
  // neither index and scans all of silver (13 s at 200,000 sales). UNION, not UNION ALL: a sale of
  // a moved customer and of a recategorised product is one sale.
  const result = await tx.query<SaleRow>(
    `SELECT ${COLUMNS} FROM silver_sales_clean s
       JOIN unnest($1::text[], $2::timestamptz[]) AS c(id, since)
         ON s.customer_id = c.id AND s.sale_timestamp >= c.since
      WHERE NOT s.is_deleted
     UNION
     SELECT ${COLUMNS} FROM silver_sales_clean s WHERE s.product_id = ANY($3::text[]) AND NOT s.is_deleted`,
    [customersSince.map((c) => c.customerId), customersSince.map((c) => c.since), productIds],
  );
  return result.rows.map(toState);
}

/** Writes the new state of changed sales (one JSON document, see `insertBronze`). */
export async function upsertSales(
  tx: Db,
  sales: SaleState[],
  batchId: string,
  reportingCurrency: string,
): Promise<void> {
  if (sales.length === 0) return;
  const money = (cents: number | null) => (cents === null ? null : fromCents(cents).toFixed(2));
  const rows = sales.map((s) => {
    const live = !s.isDeleted;
    return {
      s: s.saleId,
      d: s.isDeleted,
      le: s.lastEventAt,
      lp: s.lastPosition,
      src: s.sourceSystem,
      c: s.customerId,
      p: s.productId,
      sd: s.derived?.saleDate ?? null,
      st: s.saleTimestamp,
      q: live ? s.quantity : null,
      up: live ? money(s.unitPriceCents) : null,
      di: money(s.discountCents),
      uc: money(s.unitCostCents),
      oc: s.originalCurrency,
      oup: s.originalUnitPrice,
      r: s.region,
      rep: s.salesRepId,
      ck: s.derived?.customerKey ?? null,
      pk: s.derived?.productKey ?? null,
      rk: s.derived?.regionKey ?? null,
      srk: s.derived?.salesRepKey ?? null,
      seg: s.derived?.segment ?? null,
      cat: s.derived?.category ?? null,
      dq: (s.derived?.dataQualityScore ?? 1).toFixed(2),
      dqi: s.derived?.dataQualityIssues ?? [],
    };
  });
  await write(
    tx,
    `INSERT INTO silver_sales_clean
       (sale_id, is_deleted, last_event_at, last_position, source_system, customer_id, product_id, sale_date,
        sale_timestamp, quantity, unit_price, discount, unit_cost, currency_code, original_currency,
        original_unit_price, region, sales_rep_id, customer_key, product_key, region_key, sales_rep_key,
        customer_segment, product_category, data_quality_score, data_quality_issues, etl_batch_id)
     SELECT s, d, le, lp, src, c, p, sd, st, q, up, di, uc, $2, oc, oup, r, rep, ck, pk, rk, srk, seg, cat, dq,
            coalesce(dqi, '{}'), $3
       FROM json_to_recordset($1::json) AS x(s text, d boolean, le timestamptz, lp text, src text, c text,
            p text, sd date, st timestamptz, q int, up numeric, di numeric, uc numeric, oc text, oup numeric,
            r text, rep text, ck int, pk int, rk int, srk int, seg text, cat text, dq numeric, dqi text[])
     ON CONFLICT (sale_id) DO UPDATE SET
       is_deleted = excluded.is_deleted, last_event_at = excluded.last_event_at,
       last_position = excluded.last_position, source_system = excluded.source_system,
       customer_id = excluded.customer_id, product_id = excluded.product_id, sale_date = excluded.sale_date,
       sale_timestamp = excluded.sale_timestamp, quantity = excluded.quantity, unit_price = excluded.unit_price,
       discount = excluded.discount, unit_cost = excluded.unit_cost, original_currency = excluded.original_currency,
       original_unit_price = excluded.original_unit_price, region = excluded.region,
       sales_rep_id = excluded.sales_rep_id, customer_key = excluded.customer_key,
       product_key = excluded.product_key, region_key = excluded.region_key,
       sales_rep_key = excluded.sales_rep_key, customer_segment = excluded.customer_segment,
       product_category = excluded.product_category, data_quality_score = excluded.data_quality_score,
       data_quality_issues = excluded.data_quality_issues, etl_batch_id = excluded.etl_batch_id,
       updated_at = now()`,
    [JSON.stringify(rows), reportingCurrency, batchId],
  );
}
