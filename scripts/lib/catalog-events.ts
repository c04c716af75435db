/**
 * The demo catalog as native CDC events (customers, products, sales reps, regions). Their event
 * time is fixed, so posting them again is recognised as a duplicate and changes nothing.
 */
import type { DemoCatalog, Region } from "../demo-source.ts";

const CATALOG_TIME = "2020-01-01T00:00:00.000Z";
const REGION_NAMES: Record<Region, string> = {
  NA: "North America",
  EMEA: "Europe, Middle East & Africa",
  APAC: "Asia-Pacific",
  LATAM: "Latin America",
};

const event = (entity: string, payload: Record<string, unknown>) => ({
  event_type: "INSERT" as const,
  entity,
  event_timestamp: CATALOG_TIME,
  payload,
});

export function catalogEvents(catalog: DemoCatalog) {
  return [
    ...Object.entries(REGION_NAMES).map(([code, name]) =>
      event("region", { region_code: code, region_name: name }),
    ),
    ...catalog.reps.map((r) => event("sales_rep", { sales_rep_id: r.id, name: r.name, region: r.region })),
    ...catalog.products.map((p) =>
      event("product", {
        product_id: p.id,
        product_name: p.name,
        category: p.category,
        unit_price: p.unitPrice,
        unit_cost: p.unitCost,
      }),
    ),
    ...catalog.customers.map((c) =>
      event("customer", {
        customer_id: c.id,
        customer_name: c.name,
        customer_segment: c.segment,
        geographic_region: c.region,
      }),
    ),
  ];
}
