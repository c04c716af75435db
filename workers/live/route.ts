/** `GET /api/v1/live` — upgrades to the dashboard WebSocket, served by the live room. */
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
