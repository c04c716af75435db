/**
 * Dashboard clients for the fault tests, behaving as the web app's does: subscribe, apply deltas
 * in sequence (asking for a resync after a gap), and when the socket closes reconnect — at once the
 * first time, then with a growing, jittered delay — resuming from the last sequence number.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { WebSocket } = require("ws") as typeof import("ws");

export interface Figures {
  revenue: number;
  orders: number;
}

interface Frame {
  type: string;
  epoch?: string;
  seq?: number;
  prev_seq?: number;
  tiles?: Figures;
}

export class Dashboard {
  figures: Figures | undefined;
  /** Sockets opened (1 + reconnections). */
  connections = 0;
  /** Frames with figures received since the socket last opened. */
  framesSinceOpen = 0;
  private seq = -1;
  private epoch: string | undefined;
  private failures = 0;
  private stopped = false;
  private ws: InstanceType<typeof WebSocket> | undefined;

  private readonly url: string;
  private readonly key: string;

  constructor(url: string, key: string) {
    this.url = url;
    this.key = key;
    this.connect();
  }

  private connect(): void {
    if (this.stopped) return;
    const ws = new WebSocket(`${this.url}&client=${this.key}`);
    this.ws = ws;
    ws.on("open", () => {
      this.connections++;
      this.framesSinceOpen = 0;
      const resume =
        this.epoch !== undefined && this.seq >= 0 ? { epoch: this.epoch, seq: this.seq } : undefined;
      ws.send(JSON.stringify({ type: "subscribe", minutes: 5, days: 1, ...(resume ? { resume } : {}) }));
    });
    ws.on("message", (data) => this.onFrame(JSON.parse(String(data)) as Frame, ws));
    ws.on("error", () => undefined);
    ws.on("close", () => {
      if (this.stopped) return;
      // Dropped after frames: straight back; failing to connect: back off (up to 2 s, jittered).
      const delay = this.framesSinceOpen > 0 ? 0 : Math.min(2_000, 100 * 2 ** this.failures) * Math.random();
      this.failures = this.framesSinceOpen > 0 ? 0 : this.failures + 1;
      this.framesSinceOpen = 0;
      setTimeout(() => this.connect(), delay);
    });
  }

  private onFrame(frame: Frame, ws: InstanceType<typeof WebSocket>): void {
    if (frame.type === "snapshot" && frame.tiles) {
      this.epoch = frame.epoch;
      this.seq = frame.seq ?? -1;
      this.figures = frame.tiles;
      this.framesSinceOpen++;
    } else if (frame.type === "delta" && frame.tiles) {
      if ((frame.prev_seq ?? 0) > this.seq) {
        ws.send(JSON.stringify({ type: "resync", last_seq: this.seq }));
        return;
      }
      this.seq = frame.seq ?? this.seq;
      this.figures = frame.tiles;
      this.framesSinceOpen++;
    }
  }

  close(): void {
    this.stopped = true;
    this.ws?.terminate();
  }
}
