/** How the rest of the Worker reaches the live room (one room for the whole dashboard for now). */
import type { KpiRoom } from "./kpi-room.ts";

export const ROOM_NAME = "global";

export function liveRoom(env: { KPI_ROOM: DurableObjectNamespace<KpiRoom> }): DurableObjectStub<KpiRoom> {
  return env.KPI_ROOM.getByName(ROOM_NAME);
}
