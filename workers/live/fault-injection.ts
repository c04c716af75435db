/**
 * Fault injection for the fault tests (`test/fault/`), answered only when the Worker runs with
 * `FAULT_INJECTION = "on"` — a variable no environment of wrangler.toml sets, so a deployed Worker
 * never has these routes (they are not part of the API) — and only for the admin token.
 *
 * `POST /api/__faults/live/evict` resets every live room as an eviction would: each object loses its
 * memory and its sockets, and starts again from its own storage on the next call.
 */
import { safeEqual } from "../http/auth.ts";
import { accessTokensOf } from "../secrets.ts";
import { allRooms } from "./room-stub.ts";

// Under `/api/`, the paths `wrangler.toml` runs the Worker for before the static assets.
export const FAULT_PREFIX = "/api/__faults/";

export function faultInjectionOn(env: Env): boolean {
  return (env as { FAULT_INJECTION?: string }).FAULT_INJECTION === "on";
}

export async function faultRoute(request: Request, env: Env): Promise<Response> {
  const authorized = safeEqual(
    request.headers.get("authorization") ?? "",
    `Bearer ${accessTokensOf(env).admin}`,
  );
  if (!authorized) return new Response(null, { status: 401 });
  const path = new URL(request.url).pathname;
  if (request.method === "POST" && path === `${FAULT_PREFIX}live/evict`) {
    const rooms = allRooms(env);
    // The reset breaks the call that asks for it: its failure is the expected answer.
    await Promise.all(rooms.map((room) => room.evict().catch(() => undefined)));
    return Response.json({ evicted: rooms.length });
  }
  return new Response(null, { status: 404 });
}
