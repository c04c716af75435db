/** Silver sales: load (locked) and write, including the derived columns that place them in gold. */
import type { Db } from "../../db/client.ts";
import { fromCents, toCents } from "../../kpi/money.ts";
import type { SaleState } from "../sales.ts";

/**
 * Takes transaction-scoped advisory locks on keys, in a fixed order. They cover keys that do not
 * exist yet, so two concurrent batches can never both count the same new record.
 */
export async function lockKeys(tx: Db, namespace: string, keys: string[]): Promise<void> {
  const ids = [...new Set(keys)].sort();
  if (ids.length === 0) return;
  await tx.query(
    "SELECT pg_advisory_xact_lock(hashtextextended($1 || ':' || id, 0)) FROM unnest($2::text[]) AS id ORDER BY id",
    [namespace, ids],
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

export async function loadSales(tx: Db, saleIds: string[]): Promise<Map<string, SaleState>> {
  if (saleIds.length === 0) return new Map();
  const result = await tx.query<SaleRow>(
    `SELECT ${COLUMNS} FROM silver_sales_clean WHERE sale_id = ANY($1::text[])`,
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
  const result = await tx.query<SaleRow>(
    `SELECT ${COLUMNS} FROM silver_sales_clean s
      WHERE NOT s.is_deleted AND (
        EXISTS (SELECT 1 FROM unnest($1::text[], $2::timestamptz[]) AS c(id, since)
                 WHERE s.customer_id = c.id AND s.sale_timestamp >= c.since)
        OR s.product_id = ANY($3::text[]))`,
    [customersSince.map((c) => c.customerId), customersSince.map((c) => c.since), productIds],
  );
  return result.rows.map(toState);
}

/** Writes the new state of changed sales. */
export async function upsertSales(
  tx: Db,
  sales: SaleState[],
  batchId: string,
  reportingCurrency: string,
): Promise<void> {
  if (sales.length === 0) return;
  const money = (cents: number | null) => (cents === null ? null : fromCents(cents).toFixed(2));
  const live = (s: SaleState) => !s.isDeleted;
  await tx.query(
    `INSERT INTO silver_sales_clean
       (sale_id, is_deleted, last_event_at, last_position, source_system, customer_id, product_id, sale_date,
        sale_timestamp, quantity, unit_price, discount, unit_cost, currency_code, original_currency,
        original_unit_price, region, sales_rep_id, customer_key, product_key, region_key, sales_rep_key,
        customer_segment, product_category, data_quality_score, data_quality_issues, etl_batch_id)
     SELECT s, d, le, lp, src, c, p, sd, st, q, up, di, uc, $26, oc, oup, r, rep, ck, pk, rk, srk, seg, cat, dq,
            coalesce(string_to_array(nullif(dqi, ''), ','), '{}'), $27
       FROM unnest($1::text[], $2::boolean[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[],
                   $8::date[], $9::timestamptz[], $10::int[], $11::numeric[], $12::numeric[], $13::numeric[],
                   $14::text[], $15::numeric[], $16::text[], $17::text[], $18::int[], $19::int[], $20::int[],
                   $21::int[], $22::text[], $23::text[], $24::numeric[], $25::text[])
         AS x(s, d, le, lp, src, c, p, sd, st, q, up, di, uc, oc, oup, r, rep, ck, pk, rk, srk, seg, cat, dq, dqi)
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
    [
      sales.map((s) => s.saleId),
      sales.map((s) => s.isDeleted),
      sales.map((s) => s.lastEventAt),
      sales.map((s) => s.lastPosition),
      sales.map((s) => s.sourceSystem),
      sales.map((s) => s.customerId),
      sales.map((s) => s.productId),
      sales.map((s) => s.derived?.saleDate ?? null),
      sales.map((s) => s.saleTimestamp),
      sales.map((s) => (live(s) ? s.quantity : null)),
      sales.map((s) => (live(s) ? money(s.unitPriceCents) : null)),
      sales.map((s) => money(s.discountCents)),
      sales.map((s) => money(s.unitCostCents)),
      sales.map((s) => s.originalCurrency),
      sales.map((s) => s.originalUnitPrice),
      sales.map((s) => s.region),
      sales.map((s) => s.salesRepId),
      sales.map((s) => s.derived?.customerKey ?? null),
      sales.map((s) => s.derived?.productKey ?? null),
      sales.map((s) => s.derived?.regionKey ?? null),
      sales.map((s) => s.derived?.salesRepKey ?? null),
      sales.map((s) => s.derived?.segment ?? null),
      sales.map((s) => s.derived?.category ?? null),
      sales.map((s) => (s.derived?.dataQualityScore ?? 1).toFixed(2)),
      sales.map((s) => (s.derived?.dataQualityIssues ?? []).join(",")),
      reportingCurrency,
      batchId,
    ],
  );
}
