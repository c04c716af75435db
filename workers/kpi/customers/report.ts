/**
 * `GET /api/v1/customers` (per customer) and `GET /api/v1/customers/segments` (per RFM segment):
 * RFM scores and lifetime value, as of the last scheduled rebuild (`as_of_day`, and `last_change` =
 * when it ran). The rebuild's time is the data version: answers are cached until the next one.
 */
import type { Db } from "../../db/client.ts";
import { known, type Params, parseChoice, parseOrder, parsePage } from "../params.ts";
import type { Report } from "../reports/report.ts";
import type { DataVersion } from "../store.ts";
import { col, columnar, measureColumn } from "../table.ts";
import { RFM_SEGMENTS } from "./rfm.ts";
import {
  CUSTOMER_SORTS,
  type CustomerSort,
  type CustomersRequest,
  readCustomers,
  readRfmState,
  readSegments,
} from "./store.ts";

async function version(db: Db): Promise<DataVersion> {
  const state = await readRfmState(db);
  return {
    key: state.refreshed_at ?? "never",
    historyStart: null,
    freshness: {
      last_batch_at: null,
      pipeline_lag_ms: null,
      last_change: state.refreshed_at,
      pending_recompute: 0,
      pending: [],
    },
  };
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const MONEY = ["revenue", "net_revenue", "gross_profit", "avg_order_value", "lifetime_value"];

const PARAMS = ["segment", "customer", "sort", "order", "limit", "offset"] as const;

export const customersReport: Report<CustomersRequest> = {
  name: "customers",
  params: PARAMS,
  parse(query: Params) {
    known(query, PARAMS);
    const segment =
      query.segment === undefined
        ? undefined
        : parseChoice(
            "segment",
            query.segment,
            RFM_SEGMENTS.map((s) => s.name),
            "champions",
          );
    return {
      segment,
      customer: query.customer,
      sort: parseChoice("sort", query.sort, Object.keys(CUSTOMER_SORTS) as CustomerSort[], "lifetime_value"),
      order: parseOrder(query.order, "desc"),
      ...parsePage(query),
    };
  },
  version,
  async run(db, r, _v, ctx) {
    const [{ rows, total }, state] = await Promise.all([readCustomers(db, r), readRfmState(db)]);
    const columns = [
      col("customer_id", "string"),
      col("customer_name", "string"),
      col("segment", "string"),
      col("first_day", "date"),
      col("last_day", "date"),
      col("recency_days", "integer"),
      measureColumn("orders"),
      measureColumn("revenue"),
      measureColumn("net_revenue"),
      col("gross_profit", "number", "currency"),
      col("avg_order_value", "number", "currency"),
      col("lifetime_value", "number", "currency"),
      col("r_score", "integer"),
      col("f_score", "integer"),
      col("m_score", "integer"),
      col("rfm_segment", "string"),
    ];
    const values = rows.map((row) => {
      const out: Record<string, unknown> = { ...row };
      for (const m of MONEY) out[m] = num(row[m]);
      return out;
    });
    return columnar(columns, values, {
      segment: r.segment ?? null,
      customer: r.customer ?? null,
      sort: r.sort,
      order: r.order,
      limit: r.limit,
      offset: r.offset,
      total,
      next_offset: total !== null && r.offset + rows.length < total ? r.offset + rows.length : null,
      as_of_day: state.as_of_day,
      currency: ctx.currency,
    });
  },
};

export const segmentsReport: Report<Record<string, never>> = {
  name: "customer_segments",
  params: [],
  parse(query: Params) {
    known(query, []);
    return {};
  },
  version,
  async run(db, _r, _v, ctx) {
    const [rows, state] = await Promise.all([readSegments(db), readRfmState(db)]);
    const bySegment = new Map(rows.map((r) => [r.rfm_segment, r]));
    const columns = [
      col("rfm_segment", "string"),
      col("label", "string"),
      col("customers", "integer", "count"),
      col("share_pct", "number", "percent"),
      col("avg_recency_days", "number"),
      col("avg_orders", "number"),
      col("avg_order_value", "number", "currency"),
      measureColumn("revenue"),
      col("total_lifetime_value", "number", "currency"),
      col("avg_lifetime_value", "number", "currency"),
    ];
    // Every segment of the grid, in its order, even when empty.
    const values = RFM_SEGMENTS.map((s) => {
      const r = bySegment.get(s.name);
      return {
        rfm_segment: s.name,
        label: s.label,
        customers: r ? Number(r.customers) : 0,
        share_pct: r ? num(r.share_pct) : 0,
        avg_recency_days: r ? num(r.avg_recency_days) : null,
        avg_orders: r ? num(r.avg_orders) : null,
        avg_order_value: r ? num(r.avg_order_value) : null,
        revenue: r ? num(r.revenue) : 0,
        total_lifetime_value: r ? num(r.total_lifetime_value) : 0,
        avg_lifetime_value: r ? num(r.avg_lifetime_value) : null,
      };
    });
    return columnar(columns, values, {
      as_of_day: state.as_of_day,
      customers: state.customers,
      currency: ctx.currency,
      segments: RFM_SEGMENTS.map((s) => ({
        name: s.name,
        label: s.label,
        description: s.description,
        recency: s.recency,
        frequency: s.frequency,
      })),
    });
  },
};
