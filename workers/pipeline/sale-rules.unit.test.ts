import { describe, expect, it } from "vitest";
import type { SaleFields } from "../ingest/entities.ts";
import {
  contribute,
  dataQuality,
  emptyDeltas,
  type SaleEvent,
  type SaleState,
  saleStateFrom,
} from "./sale-rules.ts";

const fields: SaleFields = {
  sale_id: "s-1",
  customer_id: "c-1",
  product_id: "p-1",
  sale_timestamp: "2026-11-25T10:00:00Z",
  quantity: 3,
  unit_price: 19.99,
  discount: 1.5,
  unit_cost: 11.2,
  currency_code: "EUR",
  region: "EMEA",
  sales_rep_id: null,
};
const insert: SaleEvent = {
  entity: "sale",
  op: "INSERT",
  key: "s-1",
  eventTime: "2026-11-25T10:00:01Z",
  position: null,
  data: fields,
};

function derived(state: SaleState, saleDate = "2026-11-25"): SaleState {
  return {
    ...state,
    derived: {
      saleDate,
      customerKey: 7,
      productKey: 3,
      regionKey: 1,
      salesRepKey: 0,
      segment: "SMB",
      category: "Tools",
      dataQualityScore: 1,
      dataQualityIssues: [],
    },
  };
}

describe("saleStateFrom", () => {
  it("converts money into reporting-currency cents at the given rate", () => {
    const state = saleStateFrom(insert, "erp", 1.1, () => null);
    expect(state).toMatchObject({
      unitPriceCents: 2199,
      discountCents: 165,
      unitCostCents: 1232,
      originalUnitPrice: 19.99,
    });
  });

  it("falls back to the product's unit cost when the sale has none", () => {
    const { unit_cost: _, ...rest } = fields;
    const state = saleStateFrom({ ...insert, data: rest }, "erp", 1, (id) => (id === "p-1" ? 900 : null));
    expect(state.unitCostCents).toBe(900);
  });
});

describe("contribute", () => {
  it("puts a sale into its fact row and its five slices, and an update moves it exactly", () => {
    const before = derived(
      saleStateFrom(insert, "erp", 1, () => null),
      "2026-11-24",
    );
    const after = derived({ ...before, quantity: 1 }, "2026-11-25");
    const deltas = emptyDeltas();
    contribute(deltas, before, -1);
    contribute(deltas, after, 1);
    expect(deltas.facts.get("20261124|7|3|1|0")).toEqual({
      orders: -1,
      quantity: -3,
      revenue: -5997,
      netRevenue: -5847,
      costs: -3360,
    });
    expect(deltas.facts.get("20261125|7|3|1|0")).toEqual({
      orders: 1,
      quantity: 1,
      revenue: 1999,
      netRevenue: 1849,
      costs: 1120,
    });
    expect([...deltas.slices.keys()].filter((k) => k.endsWith("2026-11-25")).sort()).toEqual([
      "all||2026-11-25",
      "category|Tools|2026-11-25",
      "region|EMEA|2026-11-25",
      "sales_rep||2026-11-25",
      "segment|SMB|2026-11-25",
    ]);
  });

  it("tracks the live slices' minutes inside the window only", () => {
    const sale = derived(saleStateFrom(insert, "erp", 1, () => null));
    const minute = Math.floor(Date.parse(sale.saleTimestamp!) / 60_000) * 60;
    const inside = emptyDeltas(minute);
    contribute(inside, sale, 1);
    expect([...inside.minutes.keys()].sort()).toEqual([
      `all||${minute}`,
      `category|Tools|${minute}`,
      `region|EMEA|${minute}`,
      `segment|SMB|${minute}`,
    ]);
    expect(inside.minutes.get(`all||${minute}`)).toMatchObject({
      orders: 1,
      quantity: 3,
      revenue: 5997,
    });
    const outside = emptyDeltas(minute + 60);
    contribute(outside, sale, 1);
    expect(outside.minutes.size).toBe(0);
    expect(outside.slices.size).toBe(5);
  });

  it("adds nothing for a deleted sale", () => {
    const deltas = emptyDeltas();
    contribute(deltas, { ...derived(saleStateFrom(insert, "erp", 1, () => null)), isDeleted: true }, 1);
    expect(deltas.facts.size + deltas.slices.size + deltas.minutes.size).toBe(0);
  });
});

describe("dataQuality", () => {
  it("scores a clean sale 1 and lists what lowers another", () => {
    const clean = saleStateFrom(
      { ...insert, data: { ...fields, sales_rep_id: "r-1" } },
      "erp",
      1,
      () => null,
    );
    expect(
      dataQuality(clean, {
        customerInferred: false,
        productInferred: false,
        now: Date.parse("2026-11-25T12:00:00Z"),
      }),
    ).toEqual({ score: 1, issues: [] });
    const { unit_cost: _, ...noCost } = fields;
    const poor = saleStateFrom({ ...insert, data: { ...noCost, discount: 100 } }, "erp", 1, () => null);
    expect(
      dataQuality(poor, {
        customerInferred: true,
        productInferred: false,
        now: Date.parse("2026-11-25T12:00:00Z"),
      }),
    ).toEqual({
      score: 0.35,
      issues: ["no_unit_cost", "no_sales_rep", "discount_exceeds_gross", "unknown_customer"],
    });
  });
});
