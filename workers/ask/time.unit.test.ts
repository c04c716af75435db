import { describe, expect, it } from "vitest";
import { fiscalOf, fiscalQuarter, fiscalYear } from "./calendar.ts";
import { typoDistance } from "./text.ts";
import { findTimes } from "./time.ts";

/** The one period `text` names as of `today`, as "from..to", or the kind of match it is. */
function period(text: string, today: string): string {
  const found = findTimes(text, today);
  if (found.length !== 1) return `${found.length} matches`;
  const [t] = found;
  if (t!.kind !== "period") return t!.kind === "compare" ? `compare:${t!.compare}` : t!.kind;
  return `${t!.period!.from}..${t!.period!.to}`;
}

describe("time phrases", () => {
  // Today is Wednesday 2026-01-07: periods that cross a year boundary.
  const jan = "2026-01-07";
  it.each([
    ["today", "2026-01-07..2026-01-07"],
    ["yesterday", "2026-01-06..2026-01-06"],
    ["the day before yesterday", "2026-01-05..2026-01-05"],
    ["this week", "2026-01-05..2026-01-07"],
    ["last week", "2025-12-29..2026-01-04"],
    ["this month", "2026-01-01..2026-01-07"],
    ["last month", "2025-12-01..2025-12-31"],
    ["last quarter", "2025-10-01..2025-12-31"],
    ["last year", "2025-01-01..2025-12-31"],
    ["ytd", "2026-01-01..2026-01-07"],
    ["quarter to date", "2026-01-01..2026-01-07"],
    ["last 7 days", "2026-01-01..2026-01-07"],
    ["past two weeks", "2025-12-25..2026-01-07"],
    ["last 3 months", "2025-10-08..2026-01-07"],
    ["in december", "2025-12-01..2025-12-31"],
    ["march 2025", "2025-03-01..2025-03-31"],
    ["q4", "2025-10-01..2025-12-31"],
    ["q1", "2026-01-01..2026-01-07"],
    ["q3 fy2025", "2025-07-01..2025-09-30"],
    ["fy26 q1", "2026-01-01..2026-01-07"],
    ["second quarter of 2025", "2025-04-01..2025-06-30"],
    ["since november", "2025-11-01..2026-01-07"],
    ["from 28 december to 3 january", "2025-12-28..2026-01-03"],
    ["from 3 to 17 november", "2025-11-03..2025-11-17"],
    ["between 2025-02-27 and 2025-03-02", "2025-02-27..2025-03-02"],
    ["from october to december", "2025-10-01..2025-12-31"],
    ["last tuesday", "2026-01-06..2026-01-06"],
    ["last wednesday", "2025-12-31..2025-12-31"],
    ["on wednesday", "2026-01-07..2026-01-07"],
    ["december 31st", "2025-12-31..2025-12-31"],
    ["29 february 2024", "2024-02-29..2024-02-29"],
    ["in 2024", "2024-01-01..2024-12-31"],
    ["same period last year", "compare:previous_year"],
    ["the week before", "compare:previous_period"],
    ["next month", "future"],
    ["tomorrow", "future"],
    ["in 2027", "future"],
  ])("%s", (text, expected) => {
    expect(period(text, jan)).toBe(expected);
  });

  it("reads no period into words that only look like dates", () => {
    expect(findTimes("may i see revenue", jan)).toEqual([]);
    expect(findTimes("revenue on mondays", jan).length).toBe(0);
  });

  it("finds two periods of a comparison in order", () => {
    const found = findTimes("revenue in march vs april 2025", jan);
    expect(found.map((t) => t.period)).toEqual([
      { from: "2025-03-01", to: "2025-03-31" },
      { from: "2025-04-01", to: "2025-04-30" },
    ]);
  });
});

describe("fiscal calendar", () => {
  it("names a fiscal year after the calendar year it ends in", () => {
    expect(fiscalYear(2027, 7)).toEqual({ from: "2026-07-01", to: "2027-06-30" });
    expect(fiscalQuarter(2027, 3, 7)).toEqual({ from: "2027-01-01", to: "2027-03-31" });
    expect(fiscalQuarter(2026, 4, 1)).toEqual({ from: "2026-10-01", to: "2026-12-31" });
    expect(fiscalOf("2026-08-15", 7)).toEqual({ fy: 2027, q: 1 });
    expect(fiscalOf("2026-06-30", 7)).toEqual({ fy: 2026, q: 4 });
    expect(fiscalOf("2026-02-01", 1)).toEqual({ fy: 2026, q: 1 });
  });
});

describe("typo distance", () => {
  it.each([
    ["emea", "emea", 0],
    ["emae", "emea", 1],
    ["revnue", "revenue", 1],
    ["reveune", "revenue", 1],
    ["electornics", "electronics", 1],
    ["apac", "emea", 4],
  ])("%s → %s", (a, b, d) => {
    expect(typoDistance(a, b, 3)).toBe(d);
  });

  it("gives up past its bound", () => {
    expect(typoDistance("customers", "furniture", 1)).toBe(2);
  });
});
