import { describe, expect, it } from "vitest";
import { RFM_SEGMENTS, score, segmentOf } from "./rfm.ts";

describe("RFM", () => {
  it("assigns every recency × frequency pair exactly one segment", () => {
    for (let r = 1; r <= 5; r++) {
      for (let f = 1; f <= 5; f++) {
        const matches = RFM_SEGMENTS.filter(
          (s) => r >= s.recency[0] && r <= s.recency[1] && f >= s.frequency[0] && f <= s.frequency[1],
        );
        expect(matches, `R=${r} F=${f}`).toHaveLength(1);
      }
    }
  });

  it.each([
    [5, 5, "champions"],
    [5, 1, "new"],
    [4, 1, "promising"],
    [3, 3, "need_attention"],
    [3, 5, "loyal"],
    [1, 5, "cannot_lose"],
    [2, 3, "at_risk"],
    [1, 1, "hibernating"],
    [3, 2, "about_to_sleep"],
    [4, 2, "potential_loyalists"],
  ])("R=%s F=%s is %s", (r, f, name) => {
    expect(segmentOf(r, f).name).toBe(name);
  });

  it.each([
    [0, 1],
    [0.19, 1],
    [0.2, 2],
    [0.5, 3],
    [0.79, 4],
    [0.8, 5],
    [1, 5],
  ])("percent rank %s scores %s", (rank, expected) => {
    expect(score(rank)).toBe(expected);
  });
});
