/** Debezium change events in the shape Debezium's Postgres connector sends them (tests only). */
let lsn = 50_000_000;

export interface OrderRow {
  order_id: number;
  customer: string;
  product: string;
  qty: number;
  /** decimal.handling.mode=string sends "19.99", =double sends 19.99 */
  amount: string | number;
  /** io.debezium.time.MicroTimestamp */
  created: number;
  region: string;
  cur: string;
}

export function orderChange(
  op: "c" | "u" | "d" | "r",
  row: { before?: OrderRow | null; after?: OrderRow | null },
  tsMs: number,
  table = "orders",
) {
  lsn += 64;
  return {
    before: row.before ?? null,
    after: row.after ?? null,
    source: {
      version: "2.7.0.Final",
      connector: "postgresql",
      name: "shop",
      ts_ms: tsMs,
      snapshot: op === "r" ? "true" : "false",
      db: "shop",
      schema: "public",
      table,
      txId: 700 + (lsn % 1000),
      lsn,
      xmin: null,
    },
    op,
    ts_ms: tsMs + 150,
    transaction: null,
  };
}

/** The JSON converter's `{schema, payload}` wrapper (schemas.enable=true). */
export function withSchema(event: unknown) {
  return {
    schema: { type: "struct", name: "shop.public.orders.Envelope", optional: false, fields: [] },
    payload: event,
  };
}

export const ORDERS_MAPPING = {
  entity: "sale",
  columns: {
    order_id: "sale_id",
    customer: "customer_id",
    product: "product_id",
    qty: "quantity",
    amount: "unit_price",
    created: "sale_timestamp",
    region: "region",
    cur: "currency_code",
  },
  defaults: { discount: 0 },
};
