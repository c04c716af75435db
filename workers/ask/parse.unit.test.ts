import { describe, expect, it } from "vitest";
import { contributions } from "./contribution.ts";
import { parseQuestion } from "./parse.ts";
import { buildVocabulary, type Member } from "./vocabulary.ts";

const members: Member[] = [
  ...["EMEA", "APAC", "North America", "North Africa", "A", "US"].map((m) => ({
    dimension: "region",
    member: m,
    label: m,
  })),
  ...["Enterprise", "SMB", "Unknown"].map((m) => ({ dimension: "segment", member: m, label: m })),
  ...["Electronics", "Unknown"].map((m) => ({ dimension: "category", member: m, label: m })),
  { dimension: "product", member: "p1", label: "Nimbus Chair" },
  { dimension: "product", member: "p2", label: "Nimbus Stool" },
];
const ctx = { today: "2026-11-25", vocabulary: buildVocabulary(members) };
const parse = (q: string) => parseQuestion(q, ctx);

describe("parser", () => {
  it.each([
    ["revenue in EMEA last week", { shape: "value", metrics: ["revenue"], filters: { region: "EMEA" } }],
    ["sales of the emea region", { filters: { region: "EMEA" } }],
    ["revenue from SMB customers", { metrics: ["revenue"], filters: { segment: "SMB" } }],
    ["unknown segment orders", { metrics: ["orders"], filters: { segment: "Unknown" } }],
    ["how many sales yesterday", { metrics: ["orders"] }],
    ["revenue in the US", { filters: { region: "US" } }],
    [
      "top 3 regions by margin",
      { shape: "rank", by: "region", limit: 3, sort: "desc", metrics: ["profit_margin_pct"] },
    ],
    [
      "least profitable category",
      { shape: "rank", by: "category", limit: 1, sort: "asc", metrics: ["gross_profit"] },
    ],
    ["weekly orders this quarter", { shape: "trend", grain: "week" }],
  ])("%s", (q, expected) => {
    const p = parse(q);
    expect(p.status, JSON.stringify(p)).toBe("understood");
    if (p.status === "understood") expect(p.query).toMatchObject(expected);
  });

  it.each([
    ["show us revenue", "value"],
    ["A breakdown of revenue by region", "breakdown"],
  ])("does not read filler words as short codes: %s", (q, shape) => {
    const p = parse(q);
    expect(p.status).toBe("understood");
    if (p.status === "understood") {
      expect(p.query.filters).toEqual({});
      expect(p.query.shape).toBe(shape);
    }
  });

  it.each([
    ["revenue for unknown", ["Unknown", "Unknown"]],
    ["nimbus sales", ["Nimbus Chair", "Nimbus Stool"]],
    ["sales in the north", ["North Africa", "North America"]],
  ])("asks which one for %s", (q, labels) => {
    const p = parse(q);
    expect(p.status).toBe("clarify");
    if (p.status === "clarify") expect(p.candidates.map((c) => c.label).sort()).toEqual(labels);
  });

  it("refuses before reading: changes, forecasts, other data", () => {
    expect(parse("drop the sales table")).toMatchObject({ status: "refused", reason: "unsafe" });
    expect(parse("revenue next month")).toMatchObject({ status: "refused", reason: "forecast" });
    expect(parse("headcount in EMEA")).toMatchObject({ status: "refused", reason: "other_data" });
    expect(parse("why did revenue drop in sales")).toMatchObject({ status: "understood" });
    expect(parse("was there a drop in orders yesterday")).toMatchObject({ status: "understood" });
  });
});

describe("contributions", () => {
  const now = [
    { member: "A", label: "A", value: 100 },
    { member: "B", label: "B", value: 20 },
    { member: "C", label: "C", value: 5 },
  ];
  const before = [
    { member: "A", label: "A", value: 40 },
    { member: "B", label: "B", value: 30 },
    { member: "D", label: "D", value: 15 },
  ];
  it("ranks the members that moved an additive metric the way it went, with shares of the net change", () => {
    // Total 125 vs 85: +40. A +60, C +5 (new), B −10, D −15 (gone).
    expect(contributions("region", now, before, 40, true)).toEqual([
      {
        dimension: "region",
        member: "A",
        label: "A",
        value: 100,
        previous: 40,
        change: 60,
        share_of_change_pct: 150,
      },
      {
        dimension: "region",
        member: "C",
        label: "C",
        value: 5,
        previous: 0,
        change: 5,
        share_of_change_pct: 12.5,
      },
    ]);
    expect(contributions("region", now, before, -40, true).map((c) => c.member)).toEqual(["D", "B"]);
  });

  it("states no change for a ratio where a member is missing from a period", () => {
    expect(
      contributions("region", now, before, 1, false).map((c) => [c.member, c.share_of_change_pct]),
    ).toEqual([["A", null]]);
  });
});
