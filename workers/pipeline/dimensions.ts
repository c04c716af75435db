/**
 * A batch's dimension events (regions, sales reps, products, customers): silver's current state,
 * then each one's gold table — and which existing sales the changes move.
 */
import type { Db } from "../db/client.ts";
import type { Entity, EntityEvent } from "../ingest/entities.ts";
import type { Sourced } from "./process.ts";
import { resolveLatest } from "./resolve.ts";
import {
  applyCustomerVersions,
  type EntityState,
  loadEntities,
  upsertDimProducts,
  upsertDimRegions,
  upsertDimSalesReps,
  upsertEntities,
} from "./store/entities.ts";
import { lockKeys } from "./store/silver-sales.ts";

const DIMENSION_ORDER: Exclude<Entity, "sale">[] = ["region", "sales_rep", "product", "customer"];

async function processDimension(
  tx: Db,
  entity: Exclude<Entity, "sale">,
  events: Sourced<EntityEvent>[],
): Promise<Map<string, EntityState>> {
  await lockKeys(
    tx,
    entity,
    events.map((e) => e.key),
  );
  const existing = await loadEntities(
    tx,
    entity,
    events.map((e) => e.key),
  );
  const finals = resolveLatest(existing, events, (e, previous) => ({
    key: e.key,
    sourceSystem: e.source,
    isDeleted: e.op === "DELETE",
    lastEventAt: e.eventTime,
    lastPosition: e.position,
    data: e.op === "DELETE" ? (previous?.data ?? {}) : (e.data as Record<string, unknown>),
  }));
  const states = [...finals.values()].map((s) => ({ ...s, data: { ...s.data, ...keyField(entity, s.key) } }));
  await upsertEntities(tx, entity, states);
  return new Map(states.map((s) => [s.key, s]));
}

function keyField(entity: Exclude<Entity, "sale">, key: string): Record<string, string> {
  const field = {
    customer: "customer_id",
    product: "product_id",
    sales_rep: "sales_rep_id",
    region: "region_code",
  }[entity];
  return { [field]: key };
}

const text = (v: unknown, fallback: string) => (typeof v === "string" && v !== "" ? v : fallback);

/** The events bronze did not hold yet, by entity. */
export function newEventsByEntity(events: Map<string, Sourced<EntityEvent>>, held: Set<string>) {
  const byEntity = new Map<Entity, Sourced<EntityEvent>[]>();
  for (const [checksum, event] of events) {
    if (held.has(checksum)) continue;
    const list = byEntity.get(event.entity);
    if (list) list.push(event);
    else byEntity.set(event.entity, [event]);
  }
  return byEntity;
}

/** What dimension changes move: customers with a new version (since when) and recategorised products. */
export interface Moved {
  customers: { customerId: string; since: string }[];
  products: string[];
}

/** Dimensions, in `DIMENSION_ORDER`: silver state, then each one's gold table. */
export async function processDimensions(
  tx: Db,
  byEntity: Map<Entity, Sourced<EntityEvent>[]>,
): Promise<Moved> {
  const moved: Moved = { customers: [], products: [] };
  for (const entity of DIMENSION_ORDER) {
    const list = byEntity.get(entity);
    if (!list) continue;
    const states = [...(await processDimension(tx, entity, list)).values()].filter((s) => !s.isDeleted);
    await DIMENSION_WRITERS[entity](tx, states, moved);
  }
  return moved;
}

const field = (s: EntityState, f: string) => s.data[f];

/** Each dimension's gold write from its live silver states. */
const DIMENSION_WRITERS: Record<
  Exclude<Entity, "sale">,
  (tx: Db, states: EntityState[], moved: Moved) => Promise<void>
> = {
  region: (tx, states) =>
    upsertDimRegions(
      tx,
      states.map((s) => ({ code: s.key, name: text(field(s, "region_name"), s.key) })),
    ),
  sales_rep: (tx, states) =>
    upsertDimSalesReps(
      tx,
      states.map((s) => ({
        id: s.key,
        name: text(field(s, "name"), s.key),
        region: (field(s, "region") as string) ?? null,
      })),
    ),
  product: async (tx, states, moved) => {
    moved.products = await upsertDimProducts(
      tx,
      states.map((s) => ({
        id: s.key,
        name: text(field(s, "product_name"), s.key),
        category: text(field(s, "category"), "Unknown"),
        unitCost: typeof field(s, "unit_cost") === "number" ? (field(s, "unit_cost") as number) : null,
      })),
    );
  },
  customer: async (tx, states, moved) => {
    moved.customers.push(
      ...(await applyCustomerVersions(
        tx,
        states.map((s) => ({
          id: s.key,
          name: text(field(s, "customer_name"), s.key),
          segment: text(field(s, "customer_segment"), "Unknown"),
          region: text(field(s, "geographic_region"), "Unknown"),
          acquisitionDate: (field(s, "acquisition_date") as string) ?? null,
          isActive: field(s, "is_active") !== false,
          at: s.lastEventAt,
        })),
      )),
    );
  },
};
