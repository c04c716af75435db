/** The ordering rules of the dashboard's state machine (pure: no browser, no server). */
import { describe, expect, it } from "vitest";
import type { Tiles } from "../../../workers/live/protocol.ts";
import type { Summary } from "./api.ts";
import { initialView, type KpiEvent, type KpiView, type LiveFrame, step } from "./kpi-state.ts";

const tiles = (revenue: number, orders = 1): Tiles => ({
  revenue,
  net_revenue: revenue,
  orders,
  quantity: orders,
});
const frame = (type: LiveFrame["type"], seq: number, revenue: number, date = "2026-11-25"): KpiEvent => ({
  type: "frame",
  frame: { type, seq, date, tiles: tiles(revenue), as_of: `t${seq}` },
  at: 1000 + seq,
});
const summary = (revenue: number): KpiEvent => {
  const s: Summary = { date: "2026-11-25", ...tiles(revenue), as_of: "s", last_change: null };
  return { type: "summary", summary: s, at: 500 };
};

function run(events: KpiEvent[]): { view: KpiView; resyncs: number[] } {
  let view = initialView;
  const resyncs: number[] = [];
  events.forEach((event, i) => {
    const next = step(view, event);
    view = next.view;
    if (next.resync) resyncs.push(i);
  });
  return { view, resyncs };
}

describe("step", () => {
  it.each([
    { name: "summary alone fills the tiles", events: [summary(10)], revenue: 10, seq: null, resyncs: [] },
    {
      name: "snapshot replaces the summary",
      events: [summary(10), frame("snapshot", 5, 20)],
      revenue: 20,
      seq: 5,
      resyncs: [],
    },
    {
      name: "a late summary never overwrites live data",
      events: [frame("snapshot", 5, 20), summary(10)],
      revenue: 20,
      seq: 5,
      resyncs: [],
    },
    {
      name: "consecutive deltas apply",
      events: [frame("snapshot", 5, 20), frame("delta", 6, 21), frame("delta", 7, 22)],
      revenue: 22,
      seq: 7,
      resyncs: [],
    },
    {
      name: "duplicate and late deltas are ignored",
      events: [frame("snapshot", 5, 20), frame("delta", 6, 21), frame("delta", 6, 99), frame("delta", 4, 98)],
      revenue: 21,
      seq: 6,
      resyncs: [],
    },
    {
      name: "a gap applies the newer values and asks for a resync",
      events: [frame("snapshot", 5, 20), frame("delta", 8, 23)],
      revenue: 23,
      seq: 8,
      resyncs: [1],
    },
    {
      name: "only one resync until the snapshot arrives",
      events: [
        frame("snapshot", 5, 20),
        frame("delta", 8, 23),
        frame("delta", 10, 25),
        frame("snapshot", 10, 25),
        frame("delta", 12, 27),
      ],
      revenue: 27,
      seq: 12,
      resyncs: [1, 4],
    },
    {
      name: "a snapshot may lower seq (room storage reset)",
      events: [frame("snapshot", 50, 20), frame("snapshot", 0, 0), frame("delta", 1, 1)],
      revenue: 1,
      seq: 1,
      resyncs: [],
    },
    {
      name: "a delta before any snapshot on a fresh page waits for the snapshot",
      events: [frame("delta", 3, 7)],
      revenue: 7,
      seq: 3,
      resyncs: [],
    },
  ])("$name", ({ events, revenue, seq, resyncs }) => {
    const result = run(events);
    expect(result.view.tiles?.revenue).toBe(revenue);
    expect(result.view.seq).toBe(seq);
    expect(result.resyncs).toEqual(resyncs);
  });

  it("keeps the change time when a frame repeats the shown values", () => {
    const { view } = run([frame("snapshot", 5, 20), { type: "connected" }, frame("snapshot", 9, 20)]);
    expect(view.changedAt).toBe(1005);
    expect(view.asOf).toBe("t9");
  });

  it("a new day counts as a change even with equal values", () => {
    const { view } = run([frame("snapshot", 5, 0, "2026-11-25"), frame("delta", 6, 0, "2026-11-26")]);
    expect(view.date).toBe("2026-11-26");
    expect(view.changedAt).toBe(1006);
  });
});
