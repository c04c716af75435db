/**
 * What the dashboard shows, as a pure state machine over the events that feed it: the HTTP
 * summary (first paint), live frames, and each new socket connection. No I/O here, so the
 * ordering rules can be unit-tested as a table; the caller sends the messages a step asks for.
 *
 * Rules:
 * - Live data wins: a summary is used only until the first live frame.
 * - On every connection the client subscribes; when it already holds data of the same room epoch
 *   it asks to resume from its sequence number (the room answers with the missed changes, or a
 *   snapshot when it can't).
 * - A snapshot is authoritative (it may even lower `seq`, after the room's storage was reset).
 * - Deltas carry absolute bucket values, placed by the protocol's `placeDelta`: old news is
 *   dropped, a gap asks for a resync from our `seq` (once, until it is answered), the next is merged.
 */
import { ADDITIVE_MEASURES } from "../../../workers/kpi/measures.ts";
import {
  type ClientMessage,
  type DaySeries,
  DEFAULT_DAYS,
  DEFAULT_MINUTES,
  emptyDays,
  emptyMinutes,
  emptyTiles,
  type Filter,
  type MinuteSeries,
  placeDelta,
  type ServerMessage,
  type Tiles,
} from "../../../workers/live/protocol.ts";

/**
 * The HTTP summary as far as this state needs it (`api.ts`'s `Summary` is one): the day, when, and
 * the additive measures it carries by column name.
 */
export interface SummaryFigures {
  date: string;
  as_of: string;
  [measure: string]: unknown;
}

export type LiveFrame = Extract<ServerMessage, { type: "snapshot" | "delta" }>;

export interface Watch {
  filter: Filter;
  minutes: number;
  days: number;
}

export const defaultWatch: Watch = { filter: {}, minutes: DEFAULT_MINUTES, days: DEFAULT_DAYS };

export interface KpiView {
  watch: Watch;
  /** Reporting day of the tiles (YYYY-MM-DD), null before the first data. */
  date: string | null;
  tiles: Tiles | null;
  /** The last `watch.minutes` minutes, sparse and ascending (uPlot's columnar shape). */
  minutes: MinuteSeries;
  /** The last `watch.days` days, sparse and ascending. */
  days: DaySeries;
  source: "none" | "summary" | "live";
  /** The room's storage epoch and the last sequence number applied from it. */
  epoch: string | null;
  seq: number | null;
  /** Server time the shown values were current at. */
  asOf: string | null;
  /** Client clock when the shown values last changed (or were first received). */
  changedAt: number | null;
  /** A subscribe or resync is unanswered: don't send another. */
  awaiting: boolean;
}

export type KpiEvent =
  | { type: "summary"; summary: SummaryFigures; at: number }
  | { type: "frame"; frame: LiveFrame; at: number }
  | { type: "connected" };

export function initialView(watch: Watch = defaultWatch): KpiView {
  return {
    watch,
    date: null,
    tiles: null,
    minutes: emptyMinutes(),
    days: emptyDays(),
    source: "none",
    epoch: null,
    seq: null,
    asOf: null,
    changedAt: null,
    awaiting: true,
  };
}

export interface Step {
  view: KpiView;
  /** Send this now. */
  send?: ClientMessage;
}

export function step(view: KpiView, event: KpiEvent): Step {
  switch (event.type) {
    case "connected": {
      const { filter, minutes, days } = view.watch;
      const resume =
        view.epoch !== null && view.seq !== null ? { epoch: view.epoch, seq: view.seq } : undefined;
      return {
        view: { ...view, awaiting: true },
        send: { type: "subscribe", filter, minutes, days, ...(resume ? { resume } : {}) },
      };
    }
    case "summary": {
      if (view.source === "live") return { view };
      const { summary } = event;
      // The summary carries some of the additive measures; the others show 0 until live data.
      const known = ADDITIVE_MEASURES.filter((m) => m.name in summary).map((m) => [m.name, summary[m.name]]);
      const tiles = { ...emptyTiles, ...Object.fromEntries(known) } as Tiles;
      return { view: { ...show(view, summary.date, tiles, summary.as_of, event.at), source: "summary" } };
    }
    case "frame": {
      const { frame, at } = event;
      if (frame.type === "snapshot") {
        return { view: { ...live(view, frame, at, frame.minutes, frame.days), epoch: frame.epoch } };
      }
      if (view.seq === null) return { view }; // a delta before any snapshot: the snapshot is coming
      const place = placeDelta(view.seq, frame);
      if (place === "old") return { view };
      if (place === "gap") {
        if (view.awaiting) return { view };
        return { view: { ...view, awaiting: true }, send: { type: "resync", last_seq: view.seq } };
      }
      const minutes = mergeMinutes(view.minutes, frame.minutes, frame.as_of, view.watch.minutes);
      const days = mergeDays(view.days, frame.days, frame.today, view.watch.days);
      return { view: live(view, frame, at, minutes, days) };
    }
  }
}

/** The view after a live frame: its values shown, its `seq` taken, any subscribe or resync answered. */
function live(view: KpiView, frame: LiveFrame, at: number, minutes: MinuteSeries, days: DaySeries): KpiView {
  const next = show(view, frame.today, frame.tiles, frame.as_of, at);
  return { ...next, source: "live", seq: frame.seq, minutes, days, awaiting: false };
}

function show(view: KpiView, date: string, tiles: Tiles, asOf: string, at: number): KpiView {
  const changed = view.date !== date || view.tiles === null || !sameTiles(view.tiles, tiles);
  return { ...view, date, tiles, asOf, changedAt: changed ? at : view.changedAt };
}

function sameTiles(a: Tiles, b: Tiles): boolean {
  return (Object.keys(a) as (keyof Tiles)[]).every((k) => a[k] === b[k]);
}

/**
 * Merges changed buckets into a columnar series keyed by its `key` column: replaced or inserted in
 * order, and buckets the window has moved past (`keep` false) dropped.
 */
function merge<S extends { [field: string]: unknown[] }>(
  current: S,
  changes: S,
  key: keyof S,
  keep: (k: never) => boolean,
): S {
  const from = new Map<unknown, [S, number]>();
  for (const series of [current, changes]) {
    series[key]!.forEach((k, i) => {
      from.set(k, [series, i]);
    });
  }
  const keys = [...from.keys()]
    .filter((k) => keep(k as never))
    .sort((a, b) => ((a as number) < (b as number) ? -1 : 1));
  const column = (field: keyof S) =>
    keys.map((k) => {
      const [series, i] = from.get(k)!;
      return series[field]![i];
    });
  return Object.fromEntries(Object.keys(current).map((field) => [field, column(field)])) as S;
}

function mergeMinutes(
  current: MinuteSeries,
  changes: MinuteSeries,
  asOf: string,
  window: number,
): MinuteSeries {
  const now = Date.parse(asOf);
  const from = Number.isNaN(now)
    ? Number.NEGATIVE_INFINITY
    : Math.floor(now / 60_000) * 60 - (window - 1) * 60;
  return merge(current, changes, "t", (t: number) => t >= from);
}

function mergeDays(current: DaySeries, changes: DaySeries, today: string, window: number): DaySeries {
  const from = new Date(Date.parse(`${today}T00:00:00Z`) - (window - 1) * 86_400_000)
    .toISOString()
    .slice(0, 10);
  return merge(current, changes, "day", (d: string) => d >= from);
}
