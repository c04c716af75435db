import { describe, expect, it } from "vitest";
import { firstThatFits } from "./fit.ts";
import { headlineCandidates } from "./format.ts";

const width = (text: string) => text.length * 10;

describe("firstThatFits", () => {
  const candidates = headlineCandidates(125_961.72, "currency");

  it("offers the exact figure first and ever shorter ones after it", () => {
    expect(candidates[0]).toBe("$125,961.72");
    expect(candidates).toContain("$125.96K");
    for (let i = 1; i < candidates.length; i++) {
      expect(candidates[i]!.length).toBeLessThanOrEqual(candidates[i - 1]!.length);
    }
  });

  it("keeps the exact figure when it fits, and the shortest when nothing does", () => {
    expect(candidates[firstThatFits(candidates, width, 500)]).toBe("$125,961.72");
    expect(candidates[firstThatFits(candidates, width, 85)]).toBe("$125,962");
    expect(candidates[firstThatFits(candidates, width, 60)]).toBe("$126K");
    expect(candidates[firstThatFits(candidates, width, 10)]).toBe(candidates[candidates.length - 1]);
  });

  it("never splits a percentage from its sign", () => {
    expect(headlineCandidates(50.6, "percent")[0]).toBe("50.6\u00a0%");
  });
});

describe("xRange", () => {
  it("puts a single day in the middle of a one-day axis, not years of it", async () => {
    const { xRange } = await import("./charts.ts");
    const day = Date.parse("2026-12-02T00:00:00Z") / 1000;
    expect(xRange([day], 86_400)).toEqual([day - 43_200, day + 43_200]);
    expect(xRange([day, day + 86_400], 86_400)).toEqual([day - 43_200, day + 129_600]);
  });
});
