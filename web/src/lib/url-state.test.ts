import { describe, expect, it } from "vitest";
import {
  apiParams,
  DEFAULT_VIEW,
  dayIn,
  liveFilter,
  parseView,
  resolveRange,
  serializeView,
  type ViewState,
} from "./url-state.ts";

const view = (patch: Partial<ViewState>): ViewState => ({ ...DEFAULT_VIEW, ...patch });

describe("resolveRange", () => {
  it.each([
    ["today", "2026-11-26", "2026-11-26", "2026-11-26"],
    ["7d", "2026-11-26", "2026-11-20", "2026-11-26"],
    ["30d", "2026-11-26", "2026-10-28", "2026-11-26"],
    ["90d", "2026-03-01", "2025-12-02", "2026-03-01"],
    ["qtd", "2026-11-26", "2026-10-01", "2026-11-26"],
    ["qtd", "2026-03-31", "2026-01-01", "2026-03-31"],
    ["qtd", "2026-04-01", "2026-04-01", "2026-04-01"],
    ["ytd", "2026-11-26", "2026-01-01", "2026-11-26"],
    ["last_year", "2026-01-01", "2025-01-01", "2025-12-31"],
    ["last_year", "2024-02-29", "2023-01-01", "2023-12-31"],
  ] as const)("%s on %s is %s … %s", (preset, today, from, to) => {
    expect(resolveRange(view({ preset }), today)).toEqual({ from, to });
  });

  it("keeps a custom range as given", () => {
    expect(
      resolveRange(view({ preset: "custom", from: "2020-02-01", to: "2020-03-01" }), "2026-11-26"),
    ).toEqual({
      from: "2020-02-01",
      to: "2020-03-01",
    });
  });
});

describe("parseView / serializeView", () => {
  it.each([
    ["", DEFAULT_VIEW],
    ["?range=ytd", view({ preset: "ytd" })],
    ["?range=bogus", DEFAULT_VIEW],
    ["?from=2026-01-05&to=2026-02-01", view({ preset: "custom", from: "2026-01-05", to: "2026-02-01" })],
    ["?from=2026-02-01&to=2026-01-05", DEFAULT_VIEW], // reversed: ignored, not guessed
    ["?from=2026-02-30&to=2026-03-01", DEFAULT_VIEW], // not a calendar day
    ["?compare=previous_year", view({ compare: "previous_year" })],
    ["?compare=yesterday", DEFAULT_VIEW],
    ["?region=EMEA&segment=SMB", view({ filters: { region: "EMEA", segment: "SMB" } })],
    ["?region=", DEFAULT_VIEW],
    ["?sales_rep=", view({ filters: { sales_rep: "" } })],
    [
      "?drill=region:EMEA&drill=segment:SMB:Plus&drill=product:p-1",
      view({
        drill: [
          { by: "region", member: "EMEA" },
          { by: "segment", member: "SMB:Plus" },
          { by: "product", member: "p-1" },
        ],
      }),
    ],
    ["?drill=region:EMEA&drill=region:APAC", view({ drill: [{ by: "region", member: "EMEA" }] })],
    ["?drill=planet:Mars&drill=region:EMEA", DEFAULT_VIEW],
    ["?region=EMEA&drill=region:APAC", view({ filters: { region: "EMEA" } })],
  ])("%s", (search, expected) => {
    expect(parseView(search)).toEqual(expected);
  });

  it.each([
    DEFAULT_VIEW,
    view({ preset: "last_year", compare: "previous_year" }),
    view({ preset: "custom", from: "2026-01-05", to: "2026-02-01", filters: { category: "Books & Media" } }),
    view({ preset: "today", filters: { region: "EMEA", sales_rep: "" } }),
    view({
      filters: { region: "EMEA" },
      drill: [
        { by: "segment", member: "A&B" },
        { by: "product", member: "x" },
      ],
    }),
  ])("round-trips %j", (state) => {
    expect(parseView(serializeView(state))).toEqual(state);
  });

  it("leaves defaults out of the URL", () => {
    expect(serializeView(DEFAULT_VIEW)).toBe("");
    expect(serializeView(view({ preset: "7d", filters: { region: "North America" } }))).toBe(
      "?range=7d&region=North+America",
    );
  });
});

describe("dayIn", () => {
  const instant = Date.parse("2026-11-26T23:30:00Z");
  it.each([
    ["UTC", "2026-11-26"],
    ["Asia/Tokyo", "2026-11-27"],
    ["America/New_York", "2026-11-26"],
    ["Not/AZone", "2026-11-26"],
  ])("%s", (tz, expected) => {
    expect(dayIn(instant, tz)).toBe(expected);
  });
});

describe("liveFilter", () => {
  it.each([
    [{}, {}],
    [{ region: "EMEA" }, { region: "EMEA" }],
    [{ category: "Toys" }, { category: "Toys" }],
    [{ region: "EMEA", segment: "SMB" }, null],
    [{ sales_rep: "r1" }, null],
  ])("%j → %j", (filters, expected) => {
    expect(liveFilter(filters)).toEqual(expected);
  });
});

it("apiParams names the range and every filter", () => {
  expect(apiParams({ from: "2026-01-01", to: "2026-01-31" }, { region: "EMEA", sales_rep: "" })).toEqual({
    from: "2026-01-01",
    to: "2026-01-31",
    region: "EMEA",
    sales_rep: "",
  });
});
