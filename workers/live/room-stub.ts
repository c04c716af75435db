/**
 * How the rest of the Worker reaches the live rooms.
 *
 * One root room (`global`) takes the consumer's updates and evaluates alert rules. With
 * `LIVE_SHARDS` = 1 it also holds every dashboard socket. Above 1, dashboards connect to shard
 * rooms (`global/shard-<i>`) instead, and the root forwards each change to every shard in one RPC
 * each: a broadcast costs the room CPU per socket (measured by `bench/live.ts`; the figure and the
 * sockets one room serves within its 100 ms frame budget are in the README, "Figures behind the
 * code"), and shards split the fan-out across objects (and, on Cloudflare, across threads and
 * machines). A dashboard always lands on the same
 * shard (hash of its `client` key), so it can resume from its sequence number after a reconnect.
 */
import { fnv1a } from "../hash.ts";
import type { KpiRoom } from "./kpi-room.ts";

export { fnv1a };

export const ROOM_NAME = "global";
const MAX_SHARDS = 64;

type RoomEnv = { KPI_ROOM: DurableObjectNamespace<KpiRoom>; LIVE_SHARDS?: string };

export function liveRoom(env: RoomEnv): DurableObjectStub<KpiRoom> {
  return env.KPI_ROOM.getByName(ROOM_NAME);
}

export function shardCount(env: RoomEnv): number {
  const n = Number.parseInt(env.LIVE_SHARDS ?? "1", 10);
  return Number.isInteger(n) && n >= 1 ? Math.min(n, MAX_SHARDS) : 1;
}

/** The shard rooms (none when unsharded). */
export function shardRooms(env: RoomEnv): DurableObjectStub<KpiRoom>[] {
  const n = shardCount(env);
  if (n === 1) return [];
  return Array.from({ length: n }, (_, i) => env.KPI_ROOM.getByName(`${ROOM_NAME}/shard-${i}`));
}

/** Every room that holds state: the root and its shards. */
export function allRooms(env: RoomEnv): DurableObjectStub<KpiRoom>[] {
  return [liveRoom(env), ...shardRooms(env)];
}

/** The room a dashboard's socket goes to: the root, or the shard its `clientKey` hashes to. */
export function socketRoom(env: RoomEnv, clientKey: string | undefined): DurableObjectStub<KpiRoom> {
  const shards = shardRooms(env);
  if (shards.length === 0) return liveRoom(env);
  const index = clientKey ? fnv1a(clientKey) % shards.length : Math.floor(Math.random() * shards.length);
  return shards[index]!;
}
