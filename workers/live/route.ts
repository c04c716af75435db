/**
 * `GET /api/v1/live[?client=<key>]` — upgrades to the dashboard WebSocket, served by the live room
 * (or, sharded, by the shard `client` hashes to: a tab keeps its key so it reconnects to the same
 * shard and can resume by sequence number).
 * `GET /api/v1/live/status` (viewer) — the room's sequence number, sockets, bucket counts and the
 * last reconciliation with Postgres (how much drift it found and corrected); shards summarised.
 * `POST /api/v1/live/reconnect` (admin) — closes every dashboard socket with 1012, as a deploy
 * would; dashboards reconnect and resync by sequence number.
 */
import { Hono } from "hono";
import { requireRole } from "../http/auth.ts";
import { ApiError } from "../http/errors.ts";
import { allRooms, liveRoom, shardRooms, socketRoom } from "./room-stub.ts";

export const live = new Hono<{ Bindings: Env }>();

const CLIENT_KEY = /^[A-Za-z0-9_-]{1,64}$/;

live.get("/api/v1/live", requireRole("viewer", { allowQueryToken: true }), async (c) => {
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    throw new ApiError(426, "upgrade_required", "This endpoint speaks WebSocket only.");
  }
  const client = c.req.query("client");
  if (client !== undefined && !CLIENT_KEY.test(client)) {
    throw new ApiError(400, "invalid_query", "client must be 1–64 letters, digits, '-' or '_'.");
  }
  return socketRoom(c.env, client).fetch(c.req.raw);
});

live.get("/api/v1/live/status", requireRole("viewer"), async (c) => {
  const [root, shards] = await Promise.all([
    liveRoom(c.env).status(),
    Promise.all(shardRooms(c.env).map((shard) => shard.status())),
  ]);
  c.header("Cache-Control", "no-store");
  return c.json({
    as_of: new Date().toISOString(),
    ...root,
    shards: shards.map((s) => ({ seq: s.seq, sockets: s.sockets, last_reconcile: s.last_reconcile })),
  });
});

live.post("/api/v1/live/reconnect", requireRole("admin"), async (c) => {
  const closed = await Promise.all(allRooms(c.env).map((room) => room.dropConnections()));
  return c.json({ closed: closed.reduce((n, r) => n + r.closed, 0) });
});
