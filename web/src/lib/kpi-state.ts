/**
 * What the dashboard shows, as a pure state machine over the events that feed it: the HTTP
 * summary (first paint), live frames, and each new socket connection. No I/O here, so the
 * ordering rules can be unit-tested as a table.
 *
 * Rules:
 * - Live data wins: a summary is used only until the first live frame; afterwards it is stale.
 * - A snapshot is authoritative (it may even lower `seq`, after the room's storage was reset).
 * - Frames carry absolute values, so a delta newer than the last seen one is always applied;
 *   a delta at or below the last `seq` is a duplicate or late and is ignored.
 * - A gap (`seq` jumps by more than one) or a delta before any snapshot asks for a resync, once,
 *   until the next snapshot arrives.
 */
import type { ServerMessage, Tiles } from "../../../workers/live/protocol.ts";
import type { Summary } from "./api.ts";

export type LiveFrame = Extract<ServerMessage, { type: "snapshot" | "delta" }>;

export interface KpiView {
  /** Reporting day of the tiles (YYYY-MM-DD), null before the first data. */
  date: string | null;
  tiles: Tiles | null;
  source: "none" | "summary" | "live";
  /** Last live sequence number applied on any connection. */
  seq: number | null;
  /** Server time the shown values were current at. */
  asOf: string | null;
  /** Client clock when the shown values last changed (or were first received). */
  changedAt: number | null;
  /** A snapshot is expected (new connection or resync sent): don't ask for another. */
  awaitingSnapshot: boolean;
}

export type KpiEvent =
  | { type: "summary"; summary: Summary; at: number }
  | { type: "frame"; frame: LiveFrame; at: number }
  | { type: "connected" };

export const initialView: KpiView = {
  date: null,
  tiles: null,
  source: "none",
  seq: null,
  asOf: null,
  changedAt: null,
  awaitingSnapshot: true,
};

export interface Step {
  view: KpiView;
  /** Send `{"type":"resync"}` now. */
  resync: boolean;
}

export function step(view: KpiView, event: KpiEvent): Step {
  switch (event.type) {
    case "connected":
      // The room sends a snapshot on every connect.
      return { view: { ...view, awaitingSnapshot: true }, resync: false };
    case "summary": {
      if (view.source === "live") return { view, resync: false };
      const { summary } = event;
      const tiles: Tiles = {
        revenue: summary.revenue,
        net_revenue: summary.net_revenue,
        orders: summary.orders,
        quantity: summary.quantity,
      };
      return { view: show(view, summary.date, tiles, summary.as_of, event.at, "summary"), resync: false };
    }
    case "frame": {
      const { frame } = event;
      if (frame.type === "snapshot") {
        const next = show(view, frame.date, frame.tiles, frame.as_of, event.at, "live");
        return { view: { ...next, seq: frame.seq, awaitingSnapshot: false }, resync: false };
      }
      if (view.seq !== null && frame.seq <= view.seq) return { view, resync: false };
      const gap = view.seq === null || frame.seq > view.seq + 1;
      const resync = gap && !view.awaitingSnapshot;
      const next = show(view, frame.date, frame.tiles, frame.as_of, event.at, "live");
      return { view: { ...next, seq: frame.seq, awaitingSnapshot: view.awaitingSnapshot || resync }, resync };
    }
  }
}

function show(
  view: KpiView,
  date: string,
  tiles: Tiles,
  asOf: string,
  at: number,
  source: KpiView["source"],
): KpiView {
  const changed = view.date !== date || view.tiles === null || !sameTiles(view.tiles, tiles);
  return { ...view, date, tiles, asOf, source, changedAt: changed ? at : view.changedAt };
}

function sameTiles(a: Tiles, b: Tiles): boolean {
  return (
    a.revenue === b.revenue &&
    a.net_revenue === b.net_revenue &&
    a.orders === b.orders &&
    a.quantity === b.quantity
  );
}
