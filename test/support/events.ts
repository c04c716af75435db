/**
 * Builders for native CDC events, shared by the Workers tests, the black-box tests and benches.
 * Web-standard APIs only (runs in workerd and in Node).
 */
export interface SaleOptions {
  saleId?: string;
  customerId?: string;
  productId?: string;
  saleTimestamp?: string;
  eventTimestamp?: string;
  quantity?: number;
  unitPrice?: number;
  discount?: number;
  unitCost?: number;
  region?: string;
  eventType?: "INSERT" | "UPDATE";
}

export function saleEvent(options: SaleOptions = {}) {
  const now = new Date().toISOString();
  return {
    event_type: options.eventType ?? "INSERT",
    entity: "sale",
    event_timestamp: options.eventTimestamp ?? now,
    payload: {
      sale_id: options.saleId ?? crypto.randomUUID(),
      customer_id: options.customerId ?? crypto.randomUUID(),
      product_id: options.productId ?? crypto.randomUUID(),
      sale_timestamp: options.saleTimestamp ?? now,
      quantity: options.quantity ?? 1,
      unit_price: options.unitPrice ?? 10,
      discount: options.discount ?? 0,
      unit_cost: options.unitCost ?? 4,
      currency_code: "USD",
      region: options.region ?? "EMEA",
      sales_rep_id: null,
    },
  };
}

export function deleteEvent(saleId: string, eventTimestamp: string = new Date().toISOString()) {
  return {
    event_type: "DELETE",
    entity: "sale",
    event_timestamp: eventTimestamp,
    payload: { sale_id: saleId },
  };
}

/** A random calendar day between 1990 and 2019, so a test owns its day's rollup. */
export function randomPastDay(): string {
  const ms = Date.UTC(1990, 0, 1) + Math.floor(Math.random() * 30 * 365) * 86_400_000;
  return new Date(ms).toISOString().slice(0, 10);
}

/** A native customer event (a dimension: segment and region place the customer's sales). */
export function customerEvent(id: string, segment: string, at: string, op: "INSERT" | "UPDATE" = "INSERT") {
  return {
    event_type: op,
    entity: "customer",
    event_timestamp: at,
    payload: {
      customer_id: id,
      customer_name: `Customer ${id}`,
      customer_segment: segment,
      geographic_region: "EMEA",
    },
  };
}
