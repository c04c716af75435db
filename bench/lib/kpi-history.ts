/**
 * Two years of sales history for the KPI bench, written set-based straight into silver, the
 * dimensions, the gold fact, `customer_first_sale` and `kpi_day_slice` — the tables the pipeline
 * maintains, with the pipeline's definitions (`workers/kpi/model.ts` amounts, its slice members).
 * Millions of events through the bulk endpoint would take far longer than the bench's budget (the
 * bench measures that rate on a sample and says so); `verifySlices` then checks a sample of the
 * generated slices against the pipeline's own recomputation.
 */
import type pg from "pg";
import type { Db } from "../../workers/db/client.ts";
import { SALE_AMOUNTS } from "../../workers/kpi/model.ts";
import { recomputeDirtySlices } from "../../workers/pipeline/store/rollups.ts";

export const HISTORY_DAYS = 730;
export const REGIONS = ["EMEA", "AMER", "APAC", "LATAM", "NORDICS", "DACH", "UKI", "ANZ"];
export const SEGMENTS = ["Enterprise", "SMB", "Consumer", "Public Sector"];
export const CATEGORIES = [
  "Electronics",
  "Furniture",
  "Office",
  "Software",
  "Services",
  "Apparel",
  "Garden",
  "Toys",
  "Books",
  "Food",
  "Health",
  "Sports",
];
export const PRODUCTS = 2_000;
export const REPS = 60;
/** One customer per this many sales (repeat buyers). */
const SALES_PER_CUSTOMER = 20;
const CHUNK = 500_000;

/** Day `HISTORY_DAYS` before today (UTC, the bench's reporting timezone) is the first day of history. */
export function historyStart(today: string): string {
  return new Date(Date.parse(`${today}T00:00:00Z`) - HISTORY_DAYS * 86_400_000).toISOString().slice(0, 10);
}

/** Dimensions sized for `sales` (customers grow with it; products, regions and reps are fixed). */
export async function generateDimensions(db: pg.Client, sales: number): Promise<void> {
  const customers = Math.ceil(sales / SALES_PER_CUSTOMER);
  await db.query(
    `INSERT INTO dim_region (region_code, region_name) SELECT r, r FROM unnest($1::text[]) AS r ON CONFLICT DO NOTHING`,
    [REGIONS],
  );
  await db.query(
    `INSERT INTO dim_product (product_id, product_name, category, unit_cost)
     SELECT 'p' || i, 'Product ' || i, ($1::text[])[1 + i % array_length($1::text[], 1)], round((2 + random() * 40)::numeric, 2)
       FROM generate_series(1, $2::int) AS i ON CONFLICT (product_id) DO NOTHING`,
    [CATEGORIES, PRODUCTS],
  );
  await db.query(
    `INSERT INTO dim_sales_rep (sales_rep_id, name, region)
     SELECT 'rep' || i, 'Rep ' || i, ($1::text[])[1 + i % array_length($1::text[], 1)]
       FROM generate_series(1, $2::int) AS i ON CONFLICT (sales_rep_id) DO NOTHING`,
    [REGIONS, REPS],
  );
  const existing = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM dim_customer");
  await db.query(
    `INSERT INTO dim_customer (customer_id, customer_name, customer_segment, geographic_region, effective_from)
     SELECT 'c' || i, 'Customer ' || i, ($1::text[])[1 + i % array_length($1::text[], 1)],
            ($2::text[])[1 + i % array_length($2::text[], 1)], '2000-01-01'
       FROM generate_series($3::int + 1, $4::int) AS i`,
    [SEGMENTS, REGIONS, existing.rows[0]!.n, customers],
  );
}

/**
 * Adds sales `from`…`to` (exclusive) spread over the two years before `today`, with a weekly
 * rhythm, ~10 % discounted and ~50 % with a sales rep.
 */
export async function generateSales(
  db: pg.Client,
  from: number,
  to: number,
  today: string,
  onProgress: (done: number) => void = () => undefined,
): Promise<void> {
  const start = historyStart(today);
  const customers = Math.ceil(to / SALES_PER_CUSTOMER);
  for (let lo = from; lo < to; lo += CHUNK) {
    const hi = Math.min(to, lo + CHUNK);
    await db.query(
      `WITH raw AS (
         SELECT i, 1 + floor(random() * $3::int)::int AS ck, 1 + floor(random() * ${PRODUCTS})::int AS pk,
                $4::timestamptz + random() * interval '${HISTORY_DAYS} days' AS ts,
                1 + floor(random() * 5)::int AS q, round((5 + random() * 195)::numeric, 2) AS price,
                random() AS r, random() AS r2, random() AS r3
           FROM generate_series($1::int, $2::int - 1) AS i),
       sales AS (
         SELECT raw.*, c.customer_id, c.customer_key, c.customer_segment, p.product_id, p.product_key, p.category, p.unit_cost,
                ($5::text[])[1 + floor(raw.r2 * array_length($5::text[], 1))::int] AS region,
                CASE WHEN raw.r3 < 0.5 THEN 'rep' || (1 + floor(raw.r3 * 2 * ${REPS})::int) END AS rep
           FROM raw JOIN dim_customer c ON c.customer_key = raw.ck JOIN dim_product p ON p.product_key = raw.pk)
       INSERT INTO silver_sales_clean
         (sale_id, customer_id, product_id, sale_date, sale_timestamp, quantity, unit_price, discount, unit_cost,
          currency_code, original_currency, original_unit_price, region, sales_rep_id, customer_key, product_key,
          region_key, sales_rep_key, customer_segment, product_category, etl_batch_id, last_event_at, source_system)
       SELECT 'h' || s.i, s.customer_id, s.product_id, (s.ts AT TIME ZONE 'UTC')::date, s.ts, s.q, s.price,
              CASE WHEN s.r > 0.9 THEN round(s.q * s.price * 0.1, 2) ELSE 0 END, s.unit_cost, 'USD', 'USD', s.price,
              s.region, s.rep, s.customer_key, s.product_key, dr.region_key, coalesce(ds.sales_rep_key, 0),
              s.customer_segment, s.category, 'bench-history', s.ts, 'bench'
         FROM sales s JOIN dim_region dr ON dr.region_code = s.region
         LEFT JOIN dim_sales_rep ds ON ds.sales_rep_id = s.rep`,
      [lo, hi, customers, `${start}T00:00:00Z`, REGIONS],
    );
    onProgress(hi);
  }
}

/** Rebuilds the fact, first-sale days and every slice from silver (what the pipeline keeps incrementally). */
export async function rebuildRollups(db: pg.Client): Promise<void> {
  await db.query("TRUNCATE fact_sales_summary, customer_first_sale, kpi_day_slice, kpi_dirty");
  await db.query(
    `INSERT INTO fact_sales_summary (time_key, customer_key, product_key, region_key, sales_rep_key, quantity_sold,
       gross_revenue, net_revenue, cost_of_goods, customer_count, record_count)
     SELECT to_char(s.sale_date, 'YYYYMMDD')::int, s.customer_key, s.product_key, s.region_key, s.sales_rep_key,
            sum(s.quantity), sum(${SALE_AMOUNTS.revenue}), sum(${SALE_AMOUNTS.net_revenue}), sum(${SALE_AMOUNTS.cost_of_goods}),
            1, count(*)
       FROM silver_sales_clean s WHERE NOT s.is_deleted GROUP BY 1, 2, 3, 4, 5`,
  );
  await db.query(
    `INSERT INTO customer_first_sale (customer_id, first_day)
     SELECT customer_id, min(sale_date) FROM silver_sales_clean WHERE NOT is_deleted GROUP BY customer_id`,
  );
  // One dimension at a time keeps each sort to the size of silver.
  for (const [dim, member] of [
    ["all", "''"],
    ["region", "s.region"],
    ["segment", "s.customer_segment"],
    ["category", "s.product_category"],
    ["sales_rep", "coalesce(s.sales_rep_id, '')"],
  ] as const) {
    await db.query(
      `INSERT INTO kpi_day_slice (dim, member, day, orders, quantity, revenue, net_revenue, costs, unique_customers,
         new_customers, median_order_value, p90_order_value, updated_at)
       SELECT '${dim}', ${member}, s.sale_date, count(*), sum(s.quantity), sum(${SALE_AMOUNTS.revenue}),
              sum(${SALE_AMOUNTS.net_revenue}), sum(${SALE_AMOUNTS.cost_of_goods}), count(DISTINCT s.customer_id),
              count(DISTINCT s.customer_id) FILTER (WHERE f.first_day = s.sale_date),
              percentile_cont(0.5) WITHIN GROUP (ORDER BY ${SALE_AMOUNTS.revenue}),
              percentile_cont(0.9) WITHIN GROUP (ORDER BY ${SALE_AMOUNTS.revenue}), now()
         FROM silver_sales_clean s LEFT JOIN customer_first_sale f ON f.customer_id = s.customer_id
        WHERE NOT s.is_deleted GROUP BY 1, 2, 3`,
    );
  }
  // The combinations of several dimensions (`kpi_day_combo`), one at a time for the same reason.
  await db.query("TRUNCATE kpi_day_combo, kpi_combo_dirty");
  for (const [dims, region, segment, category] of [
    ["region+segment", "s.region", "s.customer_segment", "''"],
    ["region+category", "s.region", "''", "s.product_category"],
    ["segment+category", "''", "s.customer_segment", "s.product_category"],
    ["region+segment+category", "s.region", "s.customer_segment", "s.product_category"],
  ] as const) {
    await db.query(
      `INSERT INTO kpi_day_combo (dims, region, segment, category, day, orders, quantity, revenue, net_revenue, costs,
         unique_customers, new_customers, median_order_value, p90_order_value, updated_at)
       SELECT '${dims}', ${region}, ${segment}, ${category}, s.sale_date, count(*), sum(s.quantity),
              sum(${SALE_AMOUNTS.revenue}), sum(${SALE_AMOUNTS.net_revenue}), sum(${SALE_AMOUNTS.cost_of_goods}),
              count(DISTINCT s.customer_id), count(DISTINCT s.customer_id) FILTER (WHERE f.first_day = s.sale_date),
              percentile_cont(0.5) WITHIN GROUP (ORDER BY ${SALE_AMOUNTS.revenue}),
              percentile_cont(0.9) WITHIN GROUP (ORDER BY ${SALE_AMOUNTS.revenue}), now()
         FROM silver_sales_clean s LEFT JOIN customer_first_sale f ON f.customer_id = s.customer_id
        WHERE NOT s.is_deleted GROUP BY 1, 2, 3, 4, 5`,
    );
  }
  // The steady state a live database reaches: vacuumed (visibility map set) and analysed, and no
  // autovacuum of millions of fresh rows running during the measurements.
  for (const table of [
    "silver_sales_clean",
    "fact_sales_summary",
    "customer_first_sale",
    "kpi_day_slice",
    "kpi_day_combo",
  ]) {
    await db.query(`VACUUM (ANALYZE) ${table}`);
  }
  await db.query("ANALYZE");
}

/**
 * Recomputes `sample` random slices with the pipeline's own `recomputeDirtySlices` and returns the
 * slices whose values it changed (none, when the generated rollups are what the pipeline computes).
 */
export async function verifySlices(db: pg.Client, sample = 200): Promise<string[]> {
  const before = await db.query<{ key: string; v: string }>(
    `SELECT dim || '|' || member || '|' || day AS key,
            concat_ws('/', orders, quantity, revenue, net_revenue, costs, unique_customers, new_customers,
                      round(median_order_value, 6), round(p90_order_value, 6)) AS v
       FROM kpi_day_slice ORDER BY random() LIMIT $1`,
    [sample],
  );
  const keys = before.rows.map((r) => r.key.split("|"));
  // Marked in a transaction of its own: a recomputation takes the marks made before its
  // transaction began (`marked_at <= now()`), so in the same transaction it would take none and
  // the comparison below would check nothing.
  await db.query(
    "INSERT INTO kpi_dirty (dim, member, day) SELECT * FROM unnest($1::text[], $2::text[], $3::date[]) ON CONFLICT DO NOTHING",
    [keys.map((k) => k[0]), keys.map((k) => k[1]), keys.map((k) => k[2])],
  );
  await db.query("BEGIN");
  // The pipeline's functions take the Worker's Neon client; node-postgres has the same query API.
  const recomputed = await recomputeDirtySlices(db as unknown as Db, sample);
  await db.query("COMMIT");
  if (recomputed !== keys.length) {
    throw new Error(
      `the pipeline recomputed ${recomputed} of the ${keys.length} slices marked for the check`,
    );
  }
  const after = await db.query<{ key: string; v: string }>(
    `SELECT dim || '|' || member || '|' || day AS key,
            concat_ws('/', orders, quantity, revenue, net_revenue, costs, unique_customers, new_customers,
                      round(median_order_value, 6), round(p90_order_value, 6)) AS v
       FROM kpi_day_slice WHERE dim || '|' || member || '|' || day = ANY($1::text[])`,
    [before.rows.map((r) => r.key)],
  );
  const now = new Map(after.rows.map((r) => [r.key, r.v]));
  return before.rows.filter((r) => now.get(r.key) !== r.v).map((r) => `${r.key}: ${r.v} → ${now.get(r.key)}`);
}
