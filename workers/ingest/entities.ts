/**
 * Our entities and their fields — the shape every event has once it is ours, whether it arrived in
 * the native format or was mapped from a source table. Each failed check names the hard rule it
 * breaks, so quarantined events can be counted and filtered by rule.
 */
import { z } from "zod";

/**
 * What the database can hold, in one place: every value that passes these schemas fits its column
 * (`drizzle/schema.ts`), so a valid event can never fail the consumer's batch.
 */
export const LIMITS = {
  /** `integer` columns (quantity). */
  maxInteger: 2_147_483_647,
  /** `numeric(14,2)` columns (prices, costs, discounts). */
  maxAmount: 999_999_999_999.99,
  /**
   * A sale line's gross (quantity × unit price, `numeric(16,2)`), kept where its cents stay exact
   * in a double (below 2^53) as the rollups add them up.
   */
  maxLineTotal: 10_000_000_000_000,
  /** Times and dates: years 1 to 9999 whatever the offset (Postgres has no year 0). */
  earliestTime: Date.parse("0001-01-02T00:00:00Z"),
  latestTime: Date.parse("9999-12-30T00:00:00Z"),
} as const;

/** Rule names of out-of-range values. */
export const OUT_OF_RANGE = "out_of_range";
export const DATE_OUT_OF_RANGE = "date_out_of_range";

export function timeInRange(ms: number): boolean {
  return Number.isFinite(ms) && ms >= LIMITS.earliestTime && ms <= LIMITS.latestTime;
}

export const ENTITIES = ["sale", "customer", "product", "sales_rep", "region"] as const;
export type Entity = (typeof ENTITIES)[number];

/** The field that identifies a record of each entity. */
export const KEY_FIELD: Record<Entity, string> = {
  sale: "sale_id",
  customer: "customer_id",
  product: "product_id",
  sales_rep: "sales_rep_id",
  region: "region_code",
};

const id = (field: string) =>
  z
    .union([z.string(), z.number().int()], { error: `${field} must be a string or an integer` })
    .transform(String)
    .pipe(
      z.string().min(1, `${field} must not be empty`).max(100, `${field} must be at most 100 characters`),
    );
export const time = (field: string) =>
  z.iso
    .datetime({
      offset: true,
      error: `${field} must be an ISO 8601 time with a timezone, e.g. 2026-11-25T10:00:00Z`,
    })
    .refine((v) => timeInRange(Date.parse(v)), {
      error: (i) => `${field} must be between the years 0001 and 9999 (got ${String(i.input)})`,
      params: { rule: DATE_OUT_OF_RANGE },
    });
const date = (field: string) =>
  z.iso
    .date({ error: `${field} must be YYYY-MM-DD` })
    .refine((v) => timeInRange(Date.parse(`${v}T00:00:00Z`)), {
      error: (i) => `${field} must be between the years 0001 and 9999 (got ${String(i.input)})`,
      params: { rule: DATE_OUT_OF_RANGE },
    });
const amount = (field: string) =>
  z
    .number({ error: `${field} must be a number` })
    .refine(Number.isFinite, `${field} must be a finite number`)
    .refine((v) => v >= 0, { error: (i) => `${field} must not be negative (got ${String(i.input)})` })
    .refine((v) => v <= LIMITS.maxAmount, {
      error: (i) => `${field} must be at most ${LIMITS.maxAmount} (got ${String(i.input)})`,
      params: { rule: OUT_OF_RANGE },
    });
const name = (field: string, max = 255) =>
  z
    .string({ error: `${field} must be a string` })
    .min(1)
    .max(max);

export const saleFields = z
  .object({
    sale_id: id("sale_id"),
    customer_id: id("customer_id"),
    product_id: id("product_id"),
    sale_timestamp: time("sale_timestamp"),
    quantity: z
      .number({ error: "quantity must be a number" })
      .refine((v) => Number.isInteger(v) && v > 0, {
        error: (i) => `quantity must be a positive integer (got ${String(i.input)})`,
      })
      .refine((v) => v <= LIMITS.maxInteger, {
        error: (i) => `quantity must be at most ${LIMITS.maxInteger} (got ${String(i.input)})`,
        params: { rule: OUT_OF_RANGE },
      }),
    unit_price: amount("unit_price"),
    discount: amount("discount").default(0),
    unit_cost: amount("unit_cost").optional(),
    currency_code: z
      .string()
      .regex(/^[A-Z]{3}$/, "currency_code must be a 3-letter ISO 4217 code, e.g. USD")
      .default("USD"),
    region: name("region", 50),
    sales_rep_id: id("sales_rep_id").nullable().default(null),
  })
  .refine((s) => s.quantity * s.unit_price < LIMITS.maxLineTotal, {
    error: (i) => {
      const s = i.input as { quantity: number; unit_price: number };
      return `quantity × unit_price must be below ${LIMITS.maxLineTotal} (got ${s.quantity * s.unit_price})`;
    },
    path: ["quantity"],
    params: { rule: OUT_OF_RANGE },
  });

export const customerFields = z.object({
  customer_id: id("customer_id"),
  customer_name: name("customer_name").optional(),
  customer_segment: name("customer_segment", 50).optional(),
  geographic_region: name("geographic_region", 50).optional(),
  acquisition_date: date("acquisition_date").optional(),
  is_active: z.boolean({ error: "is_active must be true or false" }).optional(),
});

export const productFields = z.object({
  product_id: id("product_id"),
  product_name: name("product_name").optional(),
  category: name("category", 100).optional(),
  unit_price: amount("unit_price").optional(),
  unit_cost: amount("unit_cost").optional(),
});

export const salesRepFields = z.object({
  sales_rep_id: id("sales_rep_id"),
  name: name("name").optional(),
  region: name("region", 50).optional(),
});

export const regionFields = z.object({
  region_code: name("region_code", 50),
  region_name: name("region_name").optional(),
});

export const entityFields = {
  sale: saleFields,
  customer: customerFields,
  product: productFields,
  sales_rep: salesRepFields,
  region: regionFields,
} as const;

export type SaleFields = z.infer<typeof saleFields>;
export type CustomerFields = z.infer<typeof customerFields>;
export type ProductFields = z.infer<typeof productFields>;
export type SalesRepFields = z.infer<typeof salesRepFields>;
export type RegionFields = z.infer<typeof regionFields>;

export type EntityData = {
  sale: SaleFields;
  customer: CustomerFields;
  product: ProductFields;
  sales_rep: SalesRepFields;
  region: RegionFields;
};

export type Op = "INSERT" | "UPDATE" | "DELETE";

/** One change to one of our entities, ready for the pipeline. */
export type EntityEvent = {
  [E in Entity]:
    | {
        entity: E;
        op: "INSERT" | "UPDATE";
        key: string;
        eventTime: string;
        position: string | null;
        data: EntityData[E];
      }
    | { entity: E; op: "DELETE"; key: string; eventTime: string; position: string | null; data: null };
}[Entity];

export interface Rejection {
  rule: string;
  reasons: string[];
}

/** Which hard rule a failed field breaks. */
function ruleFor(field: string): string {
  if (field === "quantity") return "quantity_not_positive";
  if (field === "unit_price" || field === "unit_cost" || field === "discount") return "negative_amount";
  if (field.endsWith("timestamp") || field.endsWith("_date")) return "unparseable_date";
  if (field === KEY_FIELD.sale || field.endsWith("_id") || field === "region_code") return "missing_key";
  return "invalid_field";
}

function describe(error: z.ZodError, prefix: string): Rejection {
  const reasons = error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join(".");
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  const issue = error.issues[0];
  const named = issue?.code === "custom" ? (issue.params as { rule?: string } | undefined)?.rule : undefined;
  return { rule: named ?? ruleFor(String(issue?.path[0] ?? "")), reasons };
}

/** Validates an entity's fields (`prefix` names where they came from in the reasons). */
export function validateEntity(
  entity: Entity,
  op: Op,
  fields: Record<string, unknown>,
  meta: { eventTime: string; position: string | null },
  prefix = "payload",
): { ok: true; event: EntityEvent } | ({ ok: false } & Rejection) {
  const keyField = KEY_FIELD[entity];
  if (op === "DELETE") {
    const key = fields[keyField];
    if ((typeof key !== "string" || key === "") && typeof key !== "number") {
      return {
        ok: false,
        rule: "missing_key",
        reasons: [`${prefix}.${keyField}: a DELETE needs the ${keyField}`],
      };
    }
    return { ok: true, event: { entity, op, key: String(key), data: null, ...meta } as EntityEvent };
  }
  const parsed = entityFields[entity].safeParse(fields);
  if (!parsed.success) return { ok: false, ...describe(parsed.error, prefix) };
  const data = parsed.data as Record<string, unknown>;
  return { ok: true, event: { entity, op, key: String(data[keyField]), data, ...meta } as EntityEvent };
}
