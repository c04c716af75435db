import { expect, it } from "vitest";
import { describeSeries } from "./chart-words.ts";
import { formatShortDay, formatValue } from "./format.ts";

it("names the span, the highest and the lowest day", () => {
  const days = ["2026-11-01", "2026-11-02", "2026-11-03"];
  expect(describeSeries(days, [5, null, 12.5], "currency")).toBe(
    `3 days from ${formatShortDay("2026-11-01")} to ${formatShortDay("2026-11-03")}; ` +
      `highest ${formatValue(12.5, "currency")} on ${formatShortDay("2026-11-03")}, ` +
      `lowest ${formatValue(5, "currency")} on ${formatShortDay("2026-11-01")}.`,
  );
});

it("says when there is nothing to show", () => {
  expect(describeSeries([], [], "count")).toBe("No data in this range.");
  expect(describeSeries(["2026-11-01"], [null], "count")).toBe("No data in this range.");
});

it("speaks of one day in the singular, without a highest and lowest of one", () => {
  expect(describeSeries(["2026-12-02"], [1234.5], "currency")).toBe(
    `1 day, ${formatShortDay("2026-12-02")}: ${formatValue(1234.5, "currency")}.`,
  );
  expect(describeSeries(["2026-12-01", "2026-12-02"], [1, 2], "count")).toMatch(/^2 days from /);
});
