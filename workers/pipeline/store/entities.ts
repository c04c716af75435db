/**
 * Current-state tables of customers, products, sales reps and regions (silver), and the gold
 * dimensions they feed. One generic reader/writer per entity, driven by a static column list.
 */
import type { Db } from "../../db/client.ts";
import { write } from "../../db/statements.ts";
import type { Entity } from "../../ingest/entities.ts";
import type { Version } from "../resolve.ts";

type Kind = "text" | "numeric" | "date" | "boolean";

interface TableSpec {
  table: string;
  key: string;
  /** our field → [column, type] (the key field included) */
  columns: Record<string, [string, Kind]>;
}

export const SILVER: Record<Exclude<Entity, "sale">, TableSpec> = {
  customer: {
    table: "silver_customers",
    key: "customer_id",
    columns: {
      customer_id: ["customer_id", "text"],
      customer_name: ["customer_name", "text"],
      customer_segment: ["customer_segment", "text"],
      geographic_region: ["geographic_region", "text"],
      acquisition_date: ["acquisition_date", "date"],
      is_active: ["is_active", "boolean"],
    },
  },
  product: {
    table: "silver_products",
    key: "product_id",
    columns: {
      product_id: ["product_id", "text"],
      product_name: ["product_name", "text"],
      category: ["category", "text"],
      unit_price: ["unit_price", "numeric"],
      unit_cost: ["unit_cost", "numeric"],
    },
  },
  sales_rep: {
    table: "silver_sales_reps",
    key: "sales_rep_id",
    columns: { sales_rep_id: ["sales_rep_id", "text"], name: ["name", "text"], region: ["region", "text"] },
  },
  region: {
    table: "silver_regions",
    key: "region_code",
    columns: { region_code: ["region_code", "text"], region_name: ["region_name", "text"] },
  },
};

export interface EntityState extends Version {
  key: string;
  sourceSystem: string;
  data: Record<string, unknown>;
}

export async function loadEntities(
  tx: Db,
  entity: Exclude<Entity, "sale">,
  keys: string[],
): Promise<Map<string, EntityState>> {
  if (keys.length === 0) return new Map();
  const spec = SILVER[entity];
  const fields = Object.entries(spec.columns);
  const result = await tx.query<Record<string, unknown>>(
    `SELECT ${spec.key} AS "key", is_deleted, last_event_at, last_position, source_system,
            ${fields.map(([field, [column, kind]]) => `${column}${kind === "numeric" || kind === "date" ? "::text" : ""} AS "${field}"`).join(", ")}
       FROM ${spec.table} WHERE ${spec.key} = ANY($1::text[])`,
    [keys],
  );
  return new Map(
    result.rows.map((r) => {
      const data: Record<string, unknown> = {};
      for (const [field, [, kind]] of fields) {
        const value = r[field];
        if (value !== null && value !== undefined) data[field] = kind === "numeric" ? Number(value) : value;
      }
      return [
        String(r.key),
        {
          key: String(r.key),
          isDeleted: Boolean(r.is_deleted),
          lastEventAt: (r.last_event_at as Date).toISOString(),
          lastPosition: (r.last_position as string | null) ?? null,
          sourceSystem: String(r.source_system),
          data,
        },
      ];
    }),
  );
}

export async function upsertEntities(
  tx: Db,
  entity: Exclude<Entity, "sale">,
  states: EntityState[],
): Promise<void> {
  if (states.length === 0) return;
  const spec = SILVER[entity];
  const fields = Object.entries(spec.columns);
  const base = ["is_deleted", "last_event_at", "last_position", "source_system"];
  const columns = [...fields.map(([, [column]]) => column), ...base];
  const casts = [...fields.map(([, [, kind]]) => kind), "boolean", "timestamptz", "text", "text"];
  const params = [
    ...fields.map(([field]) => states.map((s) => (s.data[field] === undefined ? null : s.data[field]))),
    states.map((s) => s.isDeleted),
    states.map((s) => s.lastEventAt),
    states.map((s) => s.lastPosition),
    states.map((s) => s.sourceSystem),
  ];
  const updates = columns.filter((c) => c !== spec.key).map((c) => `${c} = excluded.${c}`);
  await write(
    tx,
    `INSERT INTO ${spec.table} (${columns.join(", ")})
     SELECT * FROM unnest(${casts.map((kind, i) => `$${i + 1}::${kind}[]`).join(", ")})
     ON CONFLICT (${spec.key}) DO UPDATE SET ${updates.join(", ")}, updated_at = now()`,
    params,
  );
}

// ── Gold dimensions ──────────────────────────────────────────────────────────────────────────────

const UNKNOWN = "Unknown";

export async function upsertDimRegions(tx: Db, regions: { code: string; name: string }[]): Promise<void> {
  if (regions.length === 0) return;
  await write(
    tx,
    `INSERT INTO dim_region (region_code, region_name) SELECT * FROM unnest($1::text[], $2::text[])
     ON CONFLICT (region_code) DO UPDATE SET region_name = excluded.region_name`,
    [regions.map((r) => r.code), regions.map((r) => r.name)],
  );
}

export async function upsertDimSalesReps(
  tx: Db,
  reps: { id: string; name: string; region: string | null }[],
): Promise<void> {
  if (reps.length === 0) return;
  await write(
    tx,
    `INSERT INTO dim_sales_rep (sales_rep_id, name, region, is_inferred)
     SELECT i, n, r, false FROM unnest($1::text[], $2::text[], $3::text[]) AS x(i, n, r)
     ON CONFLICT (sales_rep_id) DO UPDATE SET name = excluded.name, region = excluded.region, is_inferred = false`,
    [reps.map((r) => r.id), reps.map((r) => r.name), reps.map((r) => r.region)],
  );
}

/** Type 1 upsert; returns the products whose category changed (their sales move between slices). */
export async function upsertDimProducts(
  tx: Db,
  products: { id: string; name: string; category: string; unitCost: number | null }[],
): Promise<string[]> {
  if (products.length === 0) return [];
  const result = await tx.query<{ product_id: string; changed: boolean }>(
    `WITH old AS (SELECT product_id, category FROM dim_product WHERE product_id = ANY($1::text[]))
     INSERT INTO dim_product (product_id, product_name, category, unit_cost, is_inferred)
     SELECT i, n, c, u, false FROM unnest($1::text[], $2::text[], $3::text[], $4::numeric[]) AS x(i, n, c, u)
     ON CONFLICT (product_id) DO UPDATE SET product_name = excluded.product_name, category = excluded.category,
       unit_cost = excluded.unit_cost, is_inferred = false
     RETURNING product_id,
       COALESCE((SELECT old.category FROM old WHERE old.product_id = dim_product.product_id), category) <> category AS changed`,
    [
      products.map((p) => p.id),
      products.map((p) => p.name),
      products.map((p) => p.category),
      products.map((p) => p.unitCost),
    ],
  );
  return result.rows.filter((r) => r.changed).map((r) => r.product_id);
}

export interface CustomerChange {
  id: string;
  name: string;
  segment: string;
  region: string;
  acquisitionDate: string | null;
  isActive: boolean;
  at: string;
}

/**
 * SCD type 2. Per customer: a first record opens a version valid since forever; a record that
 * completes an inferred member updates it in place; a change of segment or region closes the
 * current version at the change's source time and opens a new one; anything else is corrected in
 * place. Returns, per customer, the time from which its sales may now belong to another version.
 */
export async function applyCustomerVersions(
  tx: Db,
  changes: CustomerChange[],
): Promise<{ customerId: string; since: string }[]> {
  if (changes.length === 0) return [];
  // In key order throughout: the current versions are locked by the read, in key order, and the
  // new ones inserted in key order, so two writers of the same customers (a batch's dimensions, a
  // concurrent batch's inferred members) wait for each other in one order and never deadlock.
  const sorted = [...changes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const current = await tx.query<{
    customer_id: string;
    customer_segment: string;
    geographic_region: string;
    is_inferred: boolean;
  }>(
    `SELECT customer_id, customer_segment, geographic_region, is_inferred FROM dim_customer
      WHERE is_current AND customer_id = ANY($1::text[]) ORDER BY customer_id COLLATE "C" FOR UPDATE`,
    [sorted.map((c) => c.id)],
  );
  const byId = new Map(current.rows.map((r) => [r.customer_id, r]));
  const inPlace: CustomerChange[] = [];
  const newVersion: CustomerChange[] = [];
  const moved: { customerId: string; since: string }[] = [];
  for (const change of sorted) {
    const row = byId.get(change.id);
    if (!row) {
      newVersion.push({ ...change, at: "-infinity" });
    } else if (row.is_inferred) {
      inPlace.push(change);
      moved.push({ customerId: change.id, since: "-infinity" });
    } else if (row.customer_segment !== change.segment || row.geographic_region !== change.region) {
      newVersion.push(change);
      moved.push({ customerId: change.id, since: change.at });
    } else {
      inPlace.push(change);
    }
  }
  const cols = (list: CustomerChange[]) => [
    list.map((c) => c.id),
    list.map((c) => c.name),
    list.map((c) => c.segment),
    list.map((c) => c.region),
    list.map((c) => c.acquisitionDate),
    list.map((c) => c.isActive),
    list.map((c) => c.at),
  ];
  if (inPlace.length > 0) {
    await tx.query(
      `UPDATE dim_customer d SET customer_name = x.n, customer_segment = x.s, geographic_region = x.r,
              acquisition_date = x.a, is_active = x.act, is_inferred = false
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::date[], $6::boolean[], $7::timestamptz[])
           AS x(i, n, s, r, a, act, at)
        WHERE d.customer_id = x.i AND d.is_current`,
      cols(inPlace),
    );
  }
  // Only customers that had a version have one to close (in a load, most are new).
  const closing = newVersion.filter((c) => byId.has(c.id));
  if (closing.length > 0) {
    await tx.query(
      `UPDATE dim_customer d SET is_current = false, expiry_at = x.at
         FROM unnest($1::text[], $2::timestamptz[]) AS x(i, at) WHERE d.customer_id = x.i AND d.is_current`,
      [closing.map((c) => c.id), closing.map((c) => c.at)],
    );
  }
  if (newVersion.length > 0) {
    await tx.query(
      `INSERT INTO dim_customer (customer_id, customer_name, customer_segment, geographic_region, acquisition_date,
                                 is_active, effective_from)
       SELECT i, n, s, r, a, act, at
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::date[], $6::boolean[], $7::timestamptz[])
           WITH ORDINALITY AS x(i, n, s, r, a, act, at, o)
        ORDER BY o`,
      cols(newVersion),
    );
  }
  return moved;
}

export interface SaleKeys {
  customer: Map<string, { key: number; segment: string; inferred: boolean }>;
  product: Map<string, { key: number; category: string; inferred: boolean }>;
  region: Map<string, number>;
  salesRep: Map<string, number>;
}

/**
 * Resolves the dimension keys of sales, creating inferred members for what is not known yet. The
 * customer version is the one valid at each sale's time.
 */
export async function resolveSaleKeys(
  tx: Db,
  sales: { customerId: string; productId: string; region: string; salesRepId: string | null; at: string }[],
): Promise<SaleKeys> {
  const customerIds = [...new Set(sales.map((s) => s.customerId))].sort();
  const productIds = [...new Set(sales.map((s) => s.productId))].sort();
  const regions = [...new Set(sales.map((s) => s.region))].sort();
  const reps = [...new Set(sales.flatMap((s) => (s.salesRepId ? [s.salesRepId] : [])))].sort();

  // One statement for the inferred members and one for the small dimensions' keys: a live batch of
  // a few dozen sales spends most of its time in round trips.
  await write(
    tx,
    `WITH customers AS (
       INSERT INTO dim_customer (customer_id, customer_name, customer_segment, geographic_region, is_inferred, effective_from)
       SELECT id, id, $5, $5, true, '-infinity' FROM unnest($1::text[]) AS id
        -- OFFSET 0: a probe of the customer index per id; as an anti-join the planner hashes all
        -- of dim_customer, which grows with history.
        WHERE NOT EXISTS (SELECT 1 FROM dim_customer d WHERE d.customer_id = id OFFSET 0)
       ON CONFLICT (customer_id) WHERE is_current DO NOTHING RETURNING 1),
     products AS (
       INSERT INTO dim_product (product_id, product_name, category, is_inferred)
       SELECT id, id, $5, true FROM unnest($2::text[]) AS id ON CONFLICT (product_id) DO NOTHING RETURNING 1),
     regions AS (
       INSERT INTO dim_region (region_code, region_name) SELECT c, c FROM unnest($3::text[]) AS c
       ON CONFLICT (region_code) DO NOTHING RETURNING 1),
     reps AS (
       INSERT INTO dim_sales_rep (sales_rep_id, name, is_inferred)
       SELECT id, id, true FROM unnest($4::text[]) AS id ON CONFLICT (sales_rep_id) DO NOTHING RETURNING 1)
     SELECT 1`,
    [customerIds, productIds, regions, reps, UNKNOWN],
  );

  // The customer version valid at each distinct (customer, time), read back as one JSON array in
  // the order asked: a batch of thousands of sales would otherwise parse a row per sale. Versions
  // never overlap: the latest that starts by the time is the one, if it has not expired; read
  // through the validity index per pair (LATERAL, OFFSET 0), not by sorting all of dim_customer.
  const pairs = [...new Map(sales.map((s) => [`${s.customerId}\u0000${s.at}`, s] as const)).entries()];
  const customersRead = tx.query<{ keys: [number, number, string, boolean][] }>(
    `SELECT coalesce(json_agg(json_build_array(x.i, d.customer_key, d.customer_segment, d.is_inferred)), '[]') AS keys
       FROM unnest($1::text[], $2::timestamptz[]) WITH ORDINALITY AS x(id, at, i)
       JOIN LATERAL (
         SELECT v.customer_key, v.customer_segment, v.is_inferred, v.expiry_at FROM dim_customer v
          WHERE v.customer_id = x.id AND v.effective_from <= x.at
          ORDER BY v.effective_from DESC LIMIT 1 OFFSET 0) d ON x.at < d.expiry_at`,
    [pairs.map(([, s]) => s.customerId), pairs.map(([, s]) => s.at)],
  );
  const membersRead = tx.query<{
    kind: "p" | "r" | "s";
    id: string;
    key: number;
    category: string | null;
    is_inferred: boolean;
  }>(
    `SELECT 'p' AS kind, product_id AS id, product_key AS key, category, is_inferred FROM dim_product
      WHERE product_id = ANY($1::text[])
     UNION ALL
     SELECT 'r', region_code, region_key, NULL, false FROM dim_region WHERE region_code = ANY($2::text[])
     UNION ALL
     SELECT 's', sales_rep_id, sales_rep_key, NULL, false FROM dim_sales_rep WHERE sales_rep_id = ANY($3::text[])`,
    [productIds, regions, reps],
  );
  // The inferred members' insert and both reads go out in one message.
  const [customers, members] = await Promise.all([customersRead, membersRead]);
  const of = (kind: "p" | "r" | "s") => members.rows.filter((r) => r.kind === kind);
  return {
    customer: new Map(
      (customers.rows[0]?.keys ?? []).map(([i, key, segment, inferred]) => [
        pairs[i - 1]![0],
        { key, segment, inferred },
      ]),
    ),
    product: new Map(
      of("p").map((r) => [r.id, { key: r.key, category: r.category ?? UNKNOWN, inferred: r.is_inferred }]),
    ),
    region: new Map(of("r").map((r) => [r.id, r.key])),
    salesRep: new Map(of("s").map((r) => [r.id, r.key])),
  };
}

/** Unit cost per product (cents), for sales that do not carry their own. */
export async function loadProductUnitCosts(tx: Db, productIds: string[]): Promise<Map<string, number>> {
  if (productIds.length === 0) return new Map();
  const result = await tx.query<{ product_id: string; unit_cost: string }>(
    `SELECT product_id, unit_cost::text FROM silver_products
      WHERE product_id = ANY($1::text[]) AND unit_cost IS NOT NULL AND NOT is_deleted`,
    [productIds],
  );
  return new Map(result.rows.map((r) => [r.product_id, Math.round(Number(r.unit_cost) * 100)]));
}
