/** The ordering rules of the dashboard's state machine (pure: no browser, no server). */
import { describe, expect, it } from "vitest";
import { emptyTiles, type MinuteSeries, type Tiles } from "../../../workers/live/protocol.ts";
import type { Summary } from "./api.ts";
import { initialView, type KpiEvent, type KpiView, type LiveFrame, step } from "./kpi-state.ts";

const DAY = "2026-11-25";
const T0 = Date.parse(`${DAY}T12:00:00Z`) / 1000; // a minute, epoch seconds

const tiles = (revenue: number, orders = 1): Tiles => ({
  ...emptyTiles,
  revenue,
  net_revenue: revenue,
  orders,
  quantity: orders,
});
const minutes = (points: [number, number][]): MinuteSeries => ({
  t: points.map(([t]) => T0 + t * 60),
  orders: points.map(() => 1),
  quantity: points.map(() => 1),
  revenue: points.map(([, r]) => r),
  net_revenue: points.map(([, r]) => r),
  costs: points.map(() => 0),
});
const noDays = {
  day: [],
  orders: [],
  quantity: [],
  revenue: [],
  net_revenue: [],
  costs: [],
  unique_customers: [],
  new_customers: [],
  median_order_value: [],
  p90_order_value: [],
};
const asOf = (minute = 0) => new Date((T0 + minute * 60 + 30) * 1000).toISOString();

const snapshot = (seq: number, revenue: number, points: [number, number][] = [], epoch = "e1"): KpiEvent => ({
  type: "frame",
  frame: {
    type: "snapshot",
    epoch,
    seq,
    filter: {},
    today: DAY,
    tiles: tiles(revenue),
    minutes: minutes(points),
    days: noDays,
    as_of: asOf(),
  },
  at: 1000 + seq,
});
const delta = (
  prev: number,
  seq: number,
  revenue: number,
  points: [number, number][] = [],
  options: { today?: string; minute?: number } = {},
): KpiEvent => ({
  type: "frame",
  frame: {
    type: "delta",
    seq,
    prev_seq: prev,
    today: options.today ?? DAY,
    tiles: tiles(revenue),
    minutes: minutes(points),
    days: noDays,
    as_of: asOf(options.minute),
  } satisfies LiveFrame,
  at: 1000 + seq,
});
const summary = (revenue: number): KpiEvent => {
  const s: Summary = {
    date: DAY,
    revenue,
    net_revenue: revenue,
    orders: 1,
    quantity: 1,
    as_of: "s",
    last_change: null,
  };
  return { type: "summary", summary: s, at: 500 };
};
const connected: KpiEvent = { type: "connected" };

function run(events: KpiEvent[], view: KpiView = initialView()) {
  const sent: { at: number; message: unknown }[] = [];
  events.forEach((event, i) => {
    const next = step(view, event);
    view = next.view;
    if (next.send) sent.push({ at: i, message: next.send });
  });
  return { view, sent };
}

describe("step", () => {
  it.each([
    { name: "summary alone fills the tiles", events: [summary(10)], revenue: 10, seq: null },
    { name: "snapshot replaces the summary", events: [summary(10), snapshot(5, 20)], revenue: 20, seq: 5 },
    {
      name: "a late summary never overwrites live data",
      events: [snapshot(5, 20), summary(10)],
      revenue: 20,
      seq: 5,
    },
    {
      name: "deltas that follow on apply",
      events: [snapshot(5, 20), delta(5, 6, 21), delta(6, 9, 22)],
      revenue: 22,
      seq: 9,
    },
    {
      name: "a delta whose prev_seq is older than ours still fits (another slice's updates in between)",
      events: [snapshot(5, 20), delta(2, 8, 23)],
      revenue: 23,
      seq: 8,
    },
    {
      name: "duplicate and late deltas are ignored",
      events: [snapshot(5, 20), delta(5, 6, 21), delta(5, 6, 99), delta(3, 4, 98)],
      revenue: 21,
      seq: 6,
    },
    {
      name: "a snapshot may lower seq (room storage reset)",
      events: [snapshot(50, 20), snapshot(0, 0, [], "e2"), delta(0, 1, 1)],
      revenue: 1,
      seq: 1,
    },
    {
      name: "a delta before any snapshot is ignored",
      events: [delta(0, 3, 7)],
      revenue: undefined,
      seq: null,
    },
  ])("$name", ({ events, revenue, seq }) => {
    const { view, sent } = run(events);
    expect(view.tiles?.revenue).toBe(revenue);
    expect(view.seq).toBe(seq);
    expect(sent).toEqual([]);
  });

  it("subscribes on connect, and resumes from its seq on a reconnect", () => {
    const first = run([connected]);
    expect(first.sent).toEqual([{ at: 0, message: { type: "subscribe", filter: {}, minutes: 60, days: 1 } }]);
    const again = run([connected, snapshot(5, 20), delta(5, 7, 21), connected]);
    expect(again.sent[1]).toEqual({
      at: 3,
      message: { type: "subscribe", filter: {}, minutes: 60, days: 1, resume: { epoch: "e1", seq: 7 } },
    });
    // The resumed delta applies.
    expect(run([delta(7, 9, 30)], again.view).view.tiles?.revenue).toBe(30);
  });

  it("asks for a resync once on a gap, keeps its values until the answer, then applies it", () => {
    const { view, sent } = run([
      snapshot(5, 20),
      delta(6, 8, 23),
      delta(8, 10, 25),
      delta(5, 10, 25),
      delta(10, 11, 26),
    ]);
    expect(sent).toEqual([{ at: 1, message: { type: "resync", last_seq: 5 } }]);
    expect(view.tiles?.revenue).toBe(26);
    expect(view.seq).toBe(11);
    expect(view.awaiting).toBe(false);
  });

  it("merges minute buckets in order and drops those the window moved past", () => {
    const watch = { filter: {}, minutes: 3, days: 1 };
    const { view } = run(
      [
        snapshot(1, 0, [
          [0, 1],
          [2, 3],
        ]),
        delta(1, 2, 0, [
          [1, 2],
          [2, 30],
        ]),
        delta(2, 3, 0, [[4, 5]], { minute: 4 }),
      ],
      initialView(watch),
    );
    // At minute 4 a 3-minute window holds minutes 2, 3, 4.
    expect(view.minutes.t).toEqual([T0 + 120, T0 + 240]);
    expect(view.minutes.revenue).toEqual([30, 5]);
  });

  it("keeps the change time when a frame repeats the shown values", () => {
    const { view } = run([snapshot(5, 20), connected, snapshot(9, 20)]);
    expect(view.changedAt).toBe(1005);
  });

  it("a new day counts as a change even with equal values", () => {
    const { view } = run([snapshot(5, 0), delta(5, 6, 0, [], { today: "2026-11-26" })]);
    expect(view.date).toBe("2026-11-26");
    expect(view.changedAt).toBe(1006);
  });
});
