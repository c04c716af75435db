/**
 * The walking skeleton, black-box: a signed CDC webhook moves the live tiles. Real sockets, the
 * real Worker with its queue and Durable Object, a real Postgres.
 */
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saleEvent } from "../../test/support/events.ts";
import { type ServerMessage, serverMessage } from "../../workers/live/protocol.ts";
import { type Stack, startStack } from "../support/stack.ts";

const require = createRequire(import.meta.url);
const { WebSocket } = require("ws") as typeof import("ws");

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

interface Summary {
  date: string;
  revenue: number;
  orders: number;
  as_of: string;
}

async function summary(): Promise<Summary> {
  const response = await fetch(new URL("/api/v1/kpis/summary", stack.url), {
    headers: { authorization: `Bearer ${stack.viewerToken}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Summary;
}

function liveClient() {
  const wsUrl = new URL(`/api/v1/live?token=${stack.viewerToken}`, stack.url);
  wsUrl.protocol = "ws:";
  const ws = new WebSocket(wsUrl);
  ws.on("open", () => ws.send(JSON.stringify({ type: "subscribe" })));
  const frames: ServerMessage[] = [];
  ws.on("message", (data) => frames.push(serverMessage.parse(JSON.parse(String(data)))));
  return {
    frames,
    async waitFor(match: (m: ServerMessage) => boolean, ms = 10_000): Promise<ServerMessage> {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = frames.find(match);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no matching frame in ${JSON.stringify(frames)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => ws.close(),
  };
}

const tiles = (m: ServerMessage) => (m.type === "snapshot" || m.type === "delta" ? m.tiles : undefined);

describe("signed webhook → queue → Postgres → live room → WebSocket", () => {
  it("moves the tiles and the summary by exactly one 3 × 10.00 sale, once", async () => {
    const client = liveClient();
    const snapshot = await client.waitFor((m) => m.type === "snapshot");
    const before = await summary();
    expect(tiles(snapshot)).toMatchObject({ revenue: before.revenue, orders: before.orders });

    const event = saleEvent({ quantity: 3, unitPrice: 10 });
    const response = await stack.post(JSON.stringify(event));
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ accepted: 1 });

    const expectedRevenue = Math.round((before.revenue + 30) * 100) / 100;
    const delta = await client.waitFor((m) => m.type === "delta" && m.tiles.orders === before.orders + 1);
    expect(tiles(delta)).toMatchObject({ revenue: expectedRevenue, orders: before.orders + 1 });
    const after = await summary();
    expect(after).toMatchObject({ date: before.date, revenue: expectedRevenue, orders: before.orders + 1 });

    // The identical event again (a new webhook-id, a new signature) changes nothing.
    const again = await stack.post(JSON.stringify(event));
    expect(again.status).toBe(202);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await summary()).toMatchObject({ revenue: expectedRevenue, orders: before.orders + 1 });
    expect(client.frames.filter((m) => m.type === "delta" && m.tiles.orders > before.orders + 1)).toEqual([]);
    const copies = await stack.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM bronze_sales_events WHERE raw_payload -> 'payload' ->> 'sale_id' = $1",
      [event.payload.sale_id],
    );
    expect(copies).toEqual([{ n: 1 }]);
    client.close();
  });

  it("answers a wrong signature with 401 and stores nothing", async () => {
    const event = saleEvent({ quantity: 3, unitPrice: 10 });
    const before = await summary();
    const response = await stack.post(JSON.stringify(event), {
      "webhook-signature": "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: "invalid_signature" } });
    await new Promise((r) => setTimeout(r, 500));
    const stored = await stack.query(
      "SELECT 1 FROM bronze_sales_events WHERE raw_payload -> 'payload' ->> 'sale_id' = $1",
      [event.payload.sale_id],
    );
    expect(stored).toEqual([]);
    expect(await summary()).toMatchObject({ revenue: before.revenue, orders: before.orders });
  });

  it("serves the dashboard page and refuses the API without a token", async () => {
    const page = await fetch(stack.url);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    const api = await fetch(new URL("/api/v1/kpis/summary", stack.url));
    expect(api.status).toBe(401);
    expect(await api.json()).toMatchObject({ error: { code: "unauthenticated" } });
  });
});
