/**
 * The question tests' data (only test files import it): two years of sales of a small business —
 * regions, segments, categories, named products, sales reps, repeat customers, discounts, unknown
 * costs, a weekly rhythm, one spike — generated from a seed and loaded through the real pipeline
 * (bulk endpoint, then the slice recomputation). It lives in 2057–2058, days no other test sells on,
 * so whole-business answers are this data's alone. `today` pins the questions' relative dates.
 */
import { exports } from "cloudflare:workers";
import { TEST_ADMIN_TOKEN } from "../../../test/support/tokens.ts";
import { signedHeaders } from "../../ingest/signature.ts";
import { addDays, daysBetween } from "../../kpi/calendar.ts";
import { random, settleSlices } from "../../kpi/testing/history.ts";
import { createSource, query } from "../../test-support.ts";

import type { Sale } from "./reference.ts";
import { FIRST_DAY, TODAY } from "./today.ts";

export type { Sale };
export { FIRST_DAY, TODAY };

export const REGIONS = ["EMEA", "APAC", "LATAM", "North Atlantic", "North Africa"];
export const SEGMENTS = ["Enterprise", "SMB", "Consumer", "Public Sector"];
export const PRODUCTS = [
  { id: "ask-p01", name: "Aurora Desk Lamp", category: "Furniture", price: 49.9 },
  { id: "ask-p02", name: "Zephyr Headphones", category: "Electronics", price: 129 },
  { id: "ask-p03", name: "Nimbus Chair", category: "Furniture", price: 219.5 },
  { id: "ask-p04", name: "Nimbus Stool", category: "Furniture", price: 89.99 },
  { id: "ask-p05", name: "Quartz Monitor", category: "Electronics", price: 309.95 },
  { id: "ask-p06", name: "Falcon Laptop", category: "Electronics", price: 1249 },
  { id: "ask-p07", name: "Orbit Mouse", category: "Electronics", price: 25.5 },
  { id: "ask-p08", name: "Cobalt Keyboard", category: "Electronics", price: 74.25 },
  { id: "ask-p09", name: "Lumen Notebook", category: "Office Supplies", price: 6.4 },
  { id: "ask-p10", name: "Sierra Pens", category: "Office Supplies", price: 3.15 },
  { id: "ask-p11", name: "Vertex Suite", category: "Software", price: 499 },
  { id: "ask-p12", name: "Harbor Backup", category: "Software", price: 19.99 },
];
export const REPS = [
  { id: "ask-rep1", name: "Aurelie Vantongeren" },
  { id: "ask-rep2", name: "Bartholomew Quist" },
  { id: "ask-rep3", name: "Cosima Lindqvist" },
];
const CUSTOMERS = 240;

export function segmentOf(customer: number): string {
  return SEGMENTS[customer % SEGMENTS.length]!;
}

/** The sales, deterministic for the seed. */
export function generateSales(seed = 2058): Sale[] {
  const rnd = random(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const sales: Sale[] = [];
  const days = daysBetween(FIRST_DAY, TODAY) + 1;
  for (let i = 0; i < days; i++) {
    const date = addDays(FIRST_DAY, i);
    const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
    const count = weekday === 0 || weekday === 6 ? 2 + int(3) : 4 + int(5);
    for (let k = 0; k < count; k++) {
      // Regions weighted towards EMEA and North Atlantic; the last days lean away from EMEA so the
      // day-over-day moves have a clear driver.
      const r = rnd();
      const region =
        r < 0.32
          ? "EMEA"
          : r < 0.55
            ? "North Atlantic"
            : r < 0.75
              ? "APAC"
              : r < 0.9
                ? "LATAM"
                : "North Africa";
      const product = PRODUCTS[int(PRODUCTS.length)]!;
      const c = 1 + int(CUSTOMERS);
      const quantity = 1 + int(product.price > 400 ? 2 : 6);
      const price = Math.round(product.price * 100);
      const gross = quantity * price;
      sales.push({
        id: `ask-s${sales.length}`,
        date,
        hour: sales.length % 24,
        customer: `ask-c${c}`,
        product: product.id,
        category: product.category,
        segment: segmentOf(c),
        region,
        rep: rnd() < 0.5 ? REPS[int(REPS.length)]!.id : "",
        quantity,
        price,
        discount: rnd() < 0.2 ? Math.round(gross * 0.05) : 0,
        cost: rnd() < 0.1 ? null : Math.round(price * (0.35 + int(30) / 100)),
      });
    }
  }
  // A spike: the anomaly the questions look for.
  const spike = "2058-11-12";
  sales.push({
    id: `ask-s${sales.length}`,
    date: spike,
    hour: 15,
    customer: "ask-c7",
    product: "ask-p06",
    category: "Electronics",
    segment: segmentOf(7),
    region: "APAC",
    rep: "ask-rep2",
    quantity: 30,
    price: 124_900,
    discount: 0,
    cost: 80_000,
  });
  return sales;
}

const at = (s: Sale, i: number) =>
  `${s.date}T${String(s.hour).padStart(2, "0")}:${String((i * 7) % 60).padStart(2, "0")}:00Z`;

function events(sales: Sale[]): { dimensions: unknown[]; facts: unknown[] } {
  const t = "2056-12-31T00:00:00Z";
  const dimensions: unknown[] = [
    ...Array.from({ length: CUSTOMERS }, (_, i) => ({
      event_type: "INSERT",
      entity: "customer",
      event_timestamp: t,
      payload: {
        customer_id: `ask-c${i + 1}`,
        customer_name: `Customer ${i + 1}`,
        customer_segment: segmentOf(i + 1),
        geographic_region: "EMEA",
      },
    })),
    ...PRODUCTS.map((p) => ({
      event_type: "INSERT",
      entity: "product",
      event_timestamp: t,
      payload: { product_id: p.id, product_name: p.name, category: p.category },
    })),
    ...REPS.map((r) => ({
      event_type: "INSERT",
      entity: "sales_rep",
      event_timestamp: t,
      payload: { sales_rep_id: r.id, name: r.name },
    })),
  ];
  const facts = sales.map((s, i) => ({
    event_type: "INSERT",
    entity: "sale",
    event_timestamp: `${s.date}T23:59:59Z`,
    payload: {
      sale_id: s.id,
      customer_id: s.customer,
      product_id: s.product,
      sale_timestamp: at(s, i),
      quantity: s.quantity,
      unit_price: s.price / 100,
      discount: s.discount / 100,
      ...(s.cost === null ? {} : { unit_cost: s.cost / 100 }),
      currency_code: "USD",
      region: s.region,
      sales_rep_id: s.rep === "" ? null : s.rep,
    },
  }));
  return { dimensions, facts };
}

async function postBulk(source: { name: string; secret: string }, list: unknown[]): Promise<void> {
  const body = `${list.map((e) => JSON.stringify(e)).join("\n")}\n`;
  const response = await exports.default.fetch(`http://pulse.test/api/v1/cdc/${source.name}/bulk`, {
    method: "POST",
    headers: { "content-type": "application/x-ndjson", ...signedHeaders(source.secret, body) },
    body,
  });
  if (response.status !== 200) throw new Error(`bulk load: ${response.status} ${await response.text()}`);
}

/** Loads the sales through the pipeline and checks silver holds exactly them. */
export async function loadDataset(sales: Sale[]): Promise<void> {
  const source = await createSource("ask");
  const { dimensions, facts } = events(sales);
  await postBulk(source, dimensions);
  // Requests of 1,000 events keep each bulk transaction short for the other tests sharing the database.
  for (let i = 0; i < facts.length; i += 1_000) await postBulk(source, facts.slice(i, i + 1_000));
  const finish = await exports.default.fetch(`http://pulse.test/api/v1/cdc/${source.name}/bulk/finish`, {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
  });
  if (finish.status !== 200) throw new Error(`bulk finish: ${finish.status}`);
  await settleSlices();
  const [row] = await query<{ n: number; revenue: string }>(
    `SELECT count(*)::int AS n, coalesce(sum(quantity * unit_price), 0)::text AS revenue
       FROM silver_sales_clean WHERE sale_id LIKE 'ask-s%' AND NOT is_deleted`,
  );
  const revenue = sales.reduce((s, x) => s + x.quantity * x.price, 0);
  if (row?.n !== sales.length || Math.round(Number(row.revenue) * 100) !== revenue) {
    throw new Error(
      `silver holds ${row?.n} sales (${row?.revenue}); expected ${sales.length} (${revenue / 100})`,
    );
  }
}
