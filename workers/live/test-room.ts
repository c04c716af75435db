/**
 * Helpers for the live room's Workers tests: a room of its own per test, dashboard clients that
 * record every frame, and bucket builders. Only test files import this.
 */
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { dayIn } from "../kpi/calendar.ts";
import type { DayBucket, LiveDim, MinuteBucket } from "./buckets.ts";
import { minuteOf } from "./buckets.ts";
import {
  type ClientMessage,
  type Delta,
  type ServerMessage,
  type Snapshot,
  serverMessage,
} from "./protocol.ts";

export const today = () => dayIn(Date.now(), env.REPORTING_TZ);
export const member = (prefix: string) => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;

/** A room nobody else uses (the dashboards' room is `global`). */
export function isolatedRoom() {
  return env.KPI_ROOM.getByName(`test-${crypto.randomUUID()}`);
}

// Far-future write times: newer than anything the pipeline wrote, increasing within the run.
let tick = 0;
export const stamp = () =>
  `2999-01-01T00:00:${String(Math.floor(++tick / 1e6)).padStart(2, "0")}.${String(tick % 1e6).padStart(6, "0")}Z`;

export function minuteBucket(
  dim: LiveDim,
  member: string,
  orders: number,
  revenue: number,
  at = Date.now(),
): MinuteBucket {
  return {
    dim,
    member,
    minute: minuteOf(at),
    orders,
    quantity: orders,
    revenue,
    netRevenue: revenue,
    costs: 0,
    updatedAt: stamp(),
  };
}

export function dayBucket(
  dim: LiveDim,
  member: string,
  orders: number,
  revenue: number,
  day = today(),
): DayBucket {
  return {
    dim,
    member,
    day,
    orders,
    quantity: orders,
    revenue,
    netRevenue: revenue,
    costs: 0,
    uniqueCustomers: orders,
    newCustomers: 0,
    medianOrderValue: orders > 0 ? revenue / orders : null,
    p90OrderValue: orders > 0 ? revenue / orders : null,
    updatedAt: stamp(),
  };
}

export type Frame = ServerMessage;
export type Client = Awaited<ReturnType<typeof connect>>;

/** A dashboard connection to `room` (or, given a Response, one made elsewhere). */
export async function connect(room: { fetch(request: Request): Promise<Response> } | Response) {
  const response =
    room instanceof Response
      ? room
      : await room.fetch(new Request("http://room/", { headers: { Upgrade: "websocket" } }));
  expect(response.status).toBe(101);
  const ws = response.webSocket!;
  const frames: Frame[] = [];
  const waiters: (() => void)[] = [];
  ws.accept();
  ws.addEventListener("message", (event) => {
    frames.push(serverMessage.parse(JSON.parse(String(event.data))));
    for (const wake of waiters.splice(0)) wake();
  });
  const client = {
    ws,
    frames,
    send(message: ClientMessage | string) {
      ws.send(typeof message === "string" ? message : JSON.stringify(message));
    },
    /** Resolves with the first frame (from index `from` on) that satisfies `match`. */
    async next<T extends Frame = Frame>(match: (m: Frame) => boolean, from = 0, ms = 5_000): Promise<T> {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = frames.slice(from).find(match);
        if (found) return found as T;
        if (Date.now() > deadline) throw new Error(`no matching frame; got ${JSON.stringify(frames)}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
    /** Subscribes and returns the answer (a snapshot, or a delta when resuming). */
    async subscribe<T extends Snapshot | Delta = Snapshot | Delta>(
      message: Omit<Extract<ClientMessage, { type: "subscribe" }>, "type"> = {},
    ): Promise<T> {
      const from = frames.length;
      client.send({ type: "subscribe", ...message });
      return client.next<T>((m) => m.type === "snapshot" || m.type === "delta", from);
    },
    deltas: (afterSeq = -1) =>
      frames.filter((m): m is Extract<Frame, { type: "delta" }> => m.type === "delta" && m.seq > afterSeq),
    close: () => ws.close(1000),
  };
  return client;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
