import { describe, expect, it } from "vitest";
import { type Health, loadingHistory } from "./api.ts";

const health = (over: Partial<Health>): Health => ({
  as_of: "2026-12-03T12:00:30.000Z",
  last_batch_at: "2026-12-03T12:00:29.000Z",
  last_batch_events: 3,
  lag_ms: 40,
  dirty_slices: 0,
  totals: { quarantined: 0, unmapped: 0, dead_lettered: 0 },
  sources: [],
  ...over,
});

describe("loadingHistory", () => {
  it("is quiet for live traffic: small batches, a few slices recomputed within a second", () => {
    expect(loadingHistory(null)).toBe(false);
    expect(loadingHistory(health({ dirty_slices: 6 }))).toBe(false);
  });

  it("sees a bulk load by its batches of thousands of events, or by many slices left to recompute", () => {
    expect(loadingHistory(health({ last_batch_events: 5_000 }))).toBe(true);
    expect(loadingHistory(health({ dirty_slices: 1_800 }))).toBe(true);
  });

  it("lets go once the last large batch is a while ago and the slices are recomputed", () => {
    expect(
      loadingHistory(health({ last_batch_events: 5_000, last_batch_at: "2026-12-03T11:59:00.000Z" })),
    ).toBe(false);
  });
});
