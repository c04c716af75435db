/**
 * `GET /api/v1/health` (public) — whether this deployment can serve: the database (a round trip and
 * its time), the queue consumer (when it last wrote a batch and that batch's lag), and the live
 * room (its sequence number and sockets). 200 when the database answers (`status: "degraded"` if
 * the room does not), 503 when it does not. Each check is bounded, so the endpoint answers within
 * a few seconds whatever is down. No figures and no names: it is for load balancers and uptime checks.
 */
import type { Context } from "hono";
import { withDb } from "../db/client.ts";
import { liveRoom } from "../live/room-stub.ts";

const CHECK_TIMEOUT_MS = 3_000;

function bounded<T>(work: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    work,
    new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new Error(`${what} did not answer within ${CHECK_TIMEOUT_MS} ms`)),
        CHECK_TIMEOUT_MS,
      ),
    ),
  ]);
}

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

export async function health(c: Context<{ Bindings: Env }>): Promise<Response> {
  const started = Date.now();
  const [database, room] = await Promise.allSettled([
    bounded(
      withDb(c.env, async (db) => {
        const t = Date.now();
        await db.query("SELECT 1");
        const latency = Date.now() - t;
        const state = await db.query<{ last_batch_at: Date; last_batch_lag_ms: number }>(
          "SELECT last_batch_at, last_batch_lag_ms FROM pipeline_state WHERE id = 1",
        );
        return { latency, state: state.rows[0] };
      }),
      "the database",
    ),
    bounded(liveRoom(c.env).status(), "the live room"),
  ]);
  const dbOk = database.status === "fulfilled";
  const roomOk = room.status === "fulfilled";
  c.header("Cache-Control", "no-store");
  return c.json(
    {
      status: dbOk ? (roomOk ? "ok" : "degraded") : "down",
      as_of: new Date().toISOString(),
      database: dbOk
        ? { ok: true, latency_ms: database.value.latency }
        : { ok: false, error: "the database is unreachable" },
      queue: dbOk
        ? {
            last_batch_at: database.value.state?.last_batch_at.toISOString() ?? null,
            lag_ms: database.value.state?.last_batch_lag_ms ?? null,
          }
        : null,
      room: roomOk
        ? { ok: true, seq: room.value.seq, epoch: room.value.epoch, sockets: room.value.sockets }
        : { ok: false, error: reason(room.reason) },
      took_ms: Date.now() - started,
    },
    dbOk ? 200 : 503,
  );
}
