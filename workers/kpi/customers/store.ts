/**
 * Customer analytics storage: the rebuild of `customer_rfm` from silver (set-based, one
 * transaction; readers see the old table until it commits) and its reads.
 */
import { type Db, transaction } from "../../db/client.ts";
import { SALE_AMOUNTS } from "../model.ts";
import { scoreSql, segmentCaseSql } from "./rfm.ts";

/** Rebuild when the day changed, or when sales changed and the last rebuild is older than this. */
const REFRESH_EVERY_MINUTES = 15;

export interface RefreshResult {
  customers: number;
  duration_ms: number;
  refreshed_at: string;
  as_of_day: string;
}

/** Rebuilds every customer's RFM scores and lifetime value as of `today` (reporting timezone). */
export async function refreshCustomerRfm(db: Db, today: string): Promise<RefreshResult> {
  const started = Date.now();
  return transaction(db, async (tx) => {
    // One rebuild at a time; a second caller waits, then rebuilds from the newer data.
    await tx.query("SELECT pg_advisory_xact_lock(hashtextextended('customer_rfm', 0))");
    await tx.query("DELETE FROM customer_rfm");
    const inserted = await tx.query(
      `WITH c AS (
         SELECT s.customer_id, min(s.sale_date) AS first_day, max(s.sale_date) AS last_day, count(*)::int AS orders,
                sum(${SALE_AMOUNTS.revenue}) AS revenue, sum(${SALE_AMOUNTS.net_revenue}) AS net_revenue,
                sum(${SALE_AMOUNTS.cost_of_goods}) AS costs
           FROM silver_sales_clean s WHERE NOT s.is_deleted AND s.customer_id IS NOT NULL GROUP BY s.customer_id),
       scored AS (
         SELECT c.*, ${scoreSql("c.last_day")} AS r, ${scoreSql("c.orders")} AS f, ${scoreSql("c.net_revenue")} AS m
           FROM c)
       INSERT INTO customer_rfm (customer_id, first_day, last_day, recency_days, orders, revenue, net_revenue, costs,
                                 r_score, f_score, m_score, rfm_segment)
       SELECT customer_id, first_day, last_day, GREATEST(0, $1::date - last_day), orders, revenue, net_revenue, costs,
              r, f, m, ${segmentCaseSql("r", "f")}
         FROM scored`,
      [today],
    );
    const customers = inserted.rowCount ?? 0;
    const state = await tx.query<{ refreshed_at: string }>(
      `INSERT INTO customer_rfm_state (id, refreshed_at, as_of_day, customers, duration_ms)
       VALUES (1, clock_timestamp(), $1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET refreshed_at = excluded.refreshed_at, as_of_day = excluded.as_of_day,
         customers = excluded.customers, duration_ms = excluded.duration_ms
       RETURNING to_char(refreshed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS refreshed_at`,
      [today, customers, Date.now() - started],
    );
    return {
      customers,
      duration_ms: Date.now() - started,
      refreshed_at: state.rows[0]!.refreshed_at,
      as_of_day: today,
    };
  });
}

/** For the scheduled job: rebuilds only when a new day started or sales changed a while ago. */
export async function refreshCustomerRfmIfDue(db: Db, today: string): Promise<RefreshResult | undefined> {
  const due = await db.query<{ due: boolean }>(
    `SELECT s.id IS NULL OR s.as_of_day <> $1::date
            OR (p.last_batch_at > s.refreshed_at AND s.refreshed_at < now() - make_interval(mins => $2)) AS due
       FROM (SELECT 1) AS one
       LEFT JOIN customer_rfm_state s ON s.id = 1 LEFT JOIN pipeline_state p ON p.id = 1`,
    [today, REFRESH_EVERY_MINUTES],
  );
  return due.rows[0]?.due ? refreshCustomerRfm(db, today) : undefined;
}

export interface RfmState {
  refreshed_at: string | null;
  as_of_day: string | null;
  customers: number;
}

export async function readRfmState(db: Db): Promise<RfmState> {
  const result = await db.query<RfmState>(
    `SELECT to_char(refreshed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS refreshed_at,
            as_of_day::text AS as_of_day, customers FROM customer_rfm_state WHERE id = 1`,
  );
  return result.rows[0] ?? { refreshed_at: null, as_of_day: null, customers: 0 };
}

export const CUSTOMER_SORTS = {
  lifetime_value: "r.net_revenue",
  revenue: "r.revenue",
  orders: "r.orders",
  recency_days: "r.recency_days",
  last_day: "r.last_day",
  first_day: "r.first_day",
  customer_id: "r.customer_id",
} as const;
export type CustomerSort = keyof typeof CUSTOMER_SORTS;

export interface CustomersRequest {
  segment: string | undefined;
  /** One customer by id. */
  customer: string | undefined;
  sort: CustomerSort;
  order: "asc" | "desc";
  limit: number;
  offset: number;
}

export type CustomerRow = Record<string, string | number | null>;

export async function readCustomers(
  db: Db,
  r: CustomersRequest,
): Promise<{ rows: CustomerRow[]; total: number | null }> {
  const dir = r.order === "asc" ? "ASC" : "DESC";
  const result = await db.query<CustomerRow & { total: number }>(
    `SELECT r.customer_id, d.customer_name, d.customer_segment AS segment, r.first_day::text AS first_day,
            r.last_day::text AS last_day, r.recency_days, r.orders, r.revenue::text AS revenue,
            r.net_revenue::text AS net_revenue, (r.net_revenue - r.costs)::text AS gross_profit,
            (r.revenue / r.orders)::text AS avg_order_value, r.net_revenue::text AS lifetime_value,
            r.r_score, r.f_score, r.m_score, r.rfm_segment, count(*) OVER ()::int AS total
       FROM customer_rfm r
       LEFT JOIN dim_customer d ON d.customer_id = r.customer_id AND d.is_current
      WHERE ($1::text IS NULL OR r.rfm_segment = $1) AND ($4::text IS NULL OR r.customer_id = $4)
      ORDER BY ${CUSTOMER_SORTS[r.sort]} ${dir}, r.customer_id ${dir}
      LIMIT $2 OFFSET $3`,
    [r.segment ?? null, r.limit, r.offset, r.customer ?? null],
  );
  return {
    rows: result.rows.map(({ total: _, ...row }) => row),
    total: result.rows[0]?.total ?? (r.offset > 0 ? null : 0),
  };
}

export async function readSegments(db: Db): Promise<CustomerRow[]> {
  const result = await db.query<CustomerRow>(
    `SELECT rfm_segment, count(*)::int AS customers,
            (count(*) * 100.0 / nullif(sum(count(*)) OVER (), 0))::text AS share_pct,
            avg(recency_days)::text AS avg_recency_days, avg(orders)::text AS avg_orders,
            (sum(revenue) / nullif(sum(orders), 0))::text AS avg_order_value,
            sum(revenue)::text AS revenue, sum(net_revenue)::text AS total_lifetime_value,
            avg(net_revenue)::text AS avg_lifetime_value
       FROM customer_rfm GROUP BY rfm_segment`,
  );
  return result.rows;
}
