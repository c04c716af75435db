/**
 * The dashboard WebSocket protocol, shared by the Worker and the browser and validated with zod on
 * both ends, so the two cannot drift.
 *
 * Server → client: a `snapshot` on connect (and on request), then a `delta` for every change, each
 * with a sequence number; `error` answers a malformed client message.
 * Client → client: `resync` asks for a fresh snapshot (after a gap in sequence numbers).
 */
import { z } from "zod";

export const tiles = z.object({
  revenue: z.number(),
  net_revenue: z.number(),
  orders: z.number().int(),
  quantity: z.number().int(),
});
export type Tiles = z.infer<typeof tiles>;

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

export const serverMessage = z.discriminatedUnion("type", [
  z.object({ type: z.literal("snapshot"), seq: z.number().int(), date: day, tiles, as_of: z.string() }),
  z.object({ type: z.literal("delta"), seq: z.number().int(), date: day, tiles, as_of: z.string() }),
  z.object({ type: z.literal("error"), code: z.string(), message: z.string() }),
]);
export type ServerMessage = z.infer<typeof serverMessage>;

export const clientMessage = z.discriminatedUnion("type", [
  z.object({ type: z.literal("resync"), last_seq: z.number().int().nonnegative().optional() }),
  z.object({ type: z.literal("ping") }),
]);
export type ClientMessage = z.infer<typeof clientMessage>;

export const emptyTiles: Tiles = { revenue: 0, net_revenue: 0, orders: 0, quantity: 0 };
