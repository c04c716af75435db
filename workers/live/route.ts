/**
 * `GET /api/v1/live` — upgrades to the dashboard WebSocket, served by the live room.
 * `GET /api/v1/live/status` (viewer) — the room's sequence number, sockets, bucket counts and the
 * last reconciliation with Postgres (how much drift it found and corrected).
 * `POST /api/v1/live/reconnect` (admin) — closes every dashboard socket with 1012, as a deploy
 * would; dashboards reconnect and resync by sequence number.
 */
import { Hono } from "hono";
import { requireRole } from "../http/auth.ts";
import { ApiError } from "../http/errors.ts";
import { liveRoom } from "./room-stub.ts";

export const live = new Hono<{ Bindings: Env }>();

live.get("/api/v1/live", requireRole("viewer", { allowQueryToken: true }), async (c) => {
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    throw new ApiError(426, "upgrade_required", "This endpoint speaks WebSocket only.");
  }
  return liveRoom(c.env).fetch(c.req.raw);
});

live.get("/api/v1/live/status", requireRole("viewer"), async (c) => {
  c.header("Cache-Control", "no-store");
  return c.json({ as_of: new Date().toISOString(), ...(await liveRoom(c.env).status()) });
});

live.post("/api/v1/live/reconnect", requireRole("admin"), async (c) => {
  return c.json(await liveRoom(c.env).dropConnections());
});
