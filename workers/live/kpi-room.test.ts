import { evictDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { TEST_VIEWER_TOKEN } from "../../test/support/tokens.ts";
import { dayIn } from "../kpi/calendar.ts";
import type { DayTotals } from "../pipeline/store/rollups.ts";
import { type ServerMessage, serverMessage } from "./protocol.ts";
import { liveRoom } from "./room-stub.ts";

/** A dashboard connection that records every frame it receives. */
async function connect() {
  const response = await exports.default.fetch(`http://pulse.test/api/v1/live?token=${TEST_VIEWER_TOKEN}`, {
    headers: { Upgrade: "websocket" },
  });
  expect(response.status).toBe(101);
  const ws = response.webSocket!;
  const frames: ServerMessage[] = [];
  const waiters: (() => void)[] = [];
  ws.accept();
  ws.addEventListener("message", (event) => {
    frames.push(serverMessage.parse(JSON.parse(String(event.data))));
    for (const wake of waiters.splice(0)) wake();
  });
  return {
    ws,
    frames,
    /** Resolves with the first frame (from `from` on) that satisfies `match`. */
    async next(match: (m: ServerMessage) => boolean, from = 0): Promise<ServerMessage> {
      const deadline = Date.now() + 5_000;
      for (;;) {
        const found = frames.slice(from).find(match);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no matching frame; got ${JSON.stringify(frames)}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
  };
}

const today = () => dayIn(Date.now(), env.REPORTING_TZ);
// Far-future write times make these values newer than anything the pipeline wrote today.
let tick = 0;
const totals = (revenue: number, orders: number, day = today()): DayTotals => ({
  day,
  revenue,
  netRevenue: revenue,
  orders,
  quantity: orders,
  costs: 0,
  uniqueCustomers: orders,
  updatedAt: `2999-01-01T00:00:00.${String(++tick).padStart(6, "0")}Z`,
});

describe("KpiRoom", () => {
  it("refuses a connection without a valid token", async () => {
    const response = await exports.default.fetch("http://pulse.test/api/v1/live?token=wrong", {
      headers: { Upgrade: "websocket" },
    });
    expect(response.status).toBe(401);
  });

  it("sends a snapshot on connect, then a delta for each change of today's tiles", async () => {
    const client = await connect();
    const snapshot = await client.next((m) => m.type === "snapshot");
    expect(snapshot).toMatchObject({ type: "snapshot", date: today() });

    await liveRoom(env).applyDaily([totals(123.45, 7)]);
    const delta = await client.next((m) => m.type === "delta");
    expect(delta).toMatchObject({ type: "delta", date: today(), tiles: { revenue: 123.45, orders: 7 } });
    if (delta.type === "delta" && snapshot.type === "snapshot")
      expect(delta.seq).toBeGreaterThan(snapshot.seq);
    client.ws.close();
  });

  it("ignores a redelivered or older update and never rolls a tile back", async () => {
    const room = liveRoom(env);
    const newer = totals(500, 20);
    const older = { ...totals(100, 4), updatedAt: "2998-01-01T00:00:00.000000Z" };
    await room.applyDaily([newer]);
    expect(await room.applyDaily([newer])).toMatchObject({ applied: 0 });
    expect(await room.applyDaily([older])).toMatchObject({ applied: 0 });
    expect(await room.tiles()).toMatchObject({ revenue: 500, orders: 20 });
  });

  it("sends no frame for a change to another day", async () => {
    const client = await connect();
    await client.next((m) => m.type === "snapshot");
    const seen = client.frames.length;
    await liveRoom(env).applyDaily([totals(9, 1, "2001-01-01")]);
    await liveRoom(env).applyDaily([totals(42, 2)]);
    const delta = await client.next((m) => m.type === "delta", seen);
    expect(delta).toMatchObject({ tiles: { revenue: 42 } });
    expect(client.frames.slice(seen)).toHaveLength(1);
    client.ws.close();
  });

  it("answers a malformed frame with an error frame while other clients keep receiving", async () => {
    const rude = await connect();
    const polite = await connect();
    await rude.next((m) => m.type === "snapshot");
    await polite.next((m) => m.type === "snapshot");
    rude.ws.send("{not json");
    rude.ws.send(JSON.stringify({ type: "subscribe-to-everything" }));
    expect(await rude.next((m) => m.type === "error")).toMatchObject({ code: "malformed_message" });
    expect(await rude.next((m) => m.type === "error" && m.code === "invalid_message")).toBeTruthy();

    const before = polite.frames.length;
    await liveRoom(env).applyDaily([totals(77, 3)]);
    expect(await polite.next((m) => m.type === "delta", before)).toMatchObject({ tiles: { revenue: 77 } });
    expect(await rude.next((m) => m.type === "delta" && m.tiles.revenue === 77)).toBeTruthy();
    rude.ws.send(JSON.stringify({ type: "resync" }));
    expect(await rude.next((m) => m.type === "snapshot" && m.tiles.revenue === 77)).toBeTruthy();
    rude.ws.close();
    polite.ws.close();
  });

  it("keeps its state across eviction", async () => {
    const room = liveRoom(env);
    await room.applyDaily([totals(321, 9)]);
    await evictDurableObject(room);
    expect(await liveRoom(env).tiles()).toMatchObject({ revenue: 321, orders: 9 });
    const client = await connect();
    expect(await client.next((m) => m.type === "snapshot")).toMatchObject({
      tiles: { revenue: 321, orders: 9 },
    });
    client.ws.close();
  });
});
