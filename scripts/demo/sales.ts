/**
 * One order as a sale: the product (by what the customer's segment buys, cheaper items more
 * often), the quantity (enterprises buy seats by the dozen), a discount now and then, the region's
 * sales rep for business orders — and, for a few, a later correction or cancellation, as source
 * systems send them.
 */
import { CATEGORIES, type Catalog, type Category, type Product, type Segment } from "./catalog.ts";
import type { Customer } from "./customers.ts";
import { between, cents, pick, pickWeighted, type Random, uuidFrom } from "./random.ts";

export interface Sale {
  sale_id: string;
  customer_id: string;
  product_id: string;
  sale_timestamp: string;
  quantity: number;
  unit_price: number;
  discount: number;
  unit_cost: number;
  currency_code: "USD";
  region: string;
  sales_rep_id: string | null;
}

const DISCOUNT_CHANCE: Record<Segment, number> = { Enterprise: 0.25, SMB: 0.12, Consumer: 0.06 };
const REP_CHANCE: Record<Segment, number> = { Enterprise: 1, SMB: 0.7, Consumer: 0.05 };
const UPDATE_CHANCE = 0.02;
const DELETE_CHANCE = 0.005;
/** Mean delay of a correction after its sale. */
const CORRECTION_MEAN_MS = 40 * 60_000;

export class SaleMaker {
  private readonly catalog: Catalog;
  private readonly weights: Map<Segment, { product: Product; weight: number }[]>;

  constructor(catalog: Catalog) {
    this.catalog = catalog;
    this.weights = new Map(
      (["Enterprise", "SMB", "Consumer"] as const).map((segment) => [
        segment,
        catalog.products.map((product) => ({
          product,
          weight: CATEGORIES[product.category].appeal[segment] / Math.sqrt(product.unitPrice),
        })),
      ]),
    );
  }

  /** One sale; `category` restricts the product to that category (a glitch's bargain hunters). */
  sale(customer: Customer, at: number, random: Random, category?: Category): Sale {
    const all = this.weights.get(customer.segment)!;
    const choices = category ? all.filter((w) => w.product.category === category) : all;
    const { product } = pickWeighted(choices.length > 0 ? choices : all, (p) => p.weight, random);
    const quantity = this.quantity(customer.segment, product, random);
    const discount =
      random() < DISCOUNT_CHANCE[customer.segment]
        ? cents(quantity * product.unitPrice * pick([0.05, 0.1, 0.15, 0.2], random))
        : 0;
    const reps = this.catalog.repsByRegion[customer.region];
    const rep = random() < REP_CHANCE[customer.segment] && reps.length > 0 ? pick(reps, random) : null;
    return {
      sale_id: uuidFrom(random),
      customer_id: customer.id,
      product_id: product.id,
      sale_timestamp: new Date(at).toISOString(),
      quantity,
      unit_price: product.unitPrice,
      discount,
      unit_cost: product.unitCost,
      currency_code: "USD",
      region: customer.region,
      sales_rep_id: rep?.id ?? null,
    };
  }

  private quantity(segment: Segment, product: Product, random: Random): number {
    const perSeat = product.category === "Software" || product.category === "Training";
    if (segment === "Enterprise") {
      return perSeat ? Math.round(between(random, 5, 60)) : 1 + Math.floor(random() ** 2 * 20);
    }
    if (segment === "SMB") return 1 + Math.floor(random() ** 2 * (perSeat ? 12 : 5));
    return random() < 0.8 ? 1 : 2;
  }

  /**
   * Whether `sale` will be corrected later, and how: a changed quantity or halved discount (an
   * UPDATE), or a cancellation (a DELETE), some minutes after the sale.
   */
  correction(sale: Sale, at: number, random: Random): { at: number; sale: Sale | null } | null {
    const r = random();
    if (r >= UPDATE_CHANCE + DELETE_CHANCE) return null;
    const when = at + Math.round(-Math.log(1 - random()) * CORRECTION_MEAN_MS) + 1_000;
    if (r < DELETE_CHANCE) return { at: when, sale: null };
    const changed = { ...sale };
    if (random() < 0.7 || sale.discount === 0) {
      const change = random() < 0.5 && sale.quantity > 1 ? -1 : 1 + Math.floor(random() * 2);
      changed.quantity = Math.max(1, sale.quantity + change);
    } else {
      changed.discount = cents(sale.discount / 2);
    }
    return { at: when, sale: changed };
  }
}
