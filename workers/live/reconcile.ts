/**
 * The scheduled reconciliation of the live rooms (root and shards) with Postgres, the source of truth. Every run
 * compares the recent window (3 hours of minutes, 35 days); the first run of each hour compares
 * everything the room keeps. Differences are corrected in the room (and pushed to dashboards) and
 * reported: a log line per run that found drift, and `GET /api/v1/live/status`.
 */
import type { Db } from "../db/client.ts";
import { dayIn } from "../kpi/calendar.ts";
import { pruneMinuteSlices, readLiveWindow } from "../pipeline/store/live.ts";
import { DAY_RETENTION, daysBefore, MINUTE_WINDOW, minuteOf } from "./buckets.ts";
import type { DriftReport } from "./kpi-room.ts";
import { allRooms } from "./room-stub.ts";

const SHALLOW = { minutes: 3 * 60, days: 35 };
const DEEP = { minutes: MINUTE_WINDOW, days: DAY_RETENTION };

/** Reconciles the root room and every shard with one read of Postgres; returns the root's report. */
export async function reconcileLiveRoom(
  env: Env,
  db: Db,
  deep: boolean,
  now = Date.now(),
): Promise<DriftReport> {
  const span = deep ? DEEP : SHALLOW;
  const today = dayIn(now, env.REPORTING_TZ);
  const window = await readLiveWindow(db, daysBefore(today, span.days), minuteOf(now) - span.minutes * 60);
  const reports = await Promise.all(allRooms(env).map((room) => room.reconcile(window)));
  reports.forEach((report, i) => {
    const room = i === 0 ? "root" : `shard-${i - 1}`;
    const line = JSON.stringify({ msg: "live room reconciled", room, deep, ...report });
    if (report.drifted > 0) console.warn(line);
    else console.log(line);
  });
  return reports[0]!;
}

/**
 * Minute slices past the live window are dropped from Postgres. An hour more than the window: a
 * batch that started before the cut still finds the rows it subtracts from.
 */
export function pruneLiveMinutes(db: Db, now = Date.now()): Promise<number> {
  return pruneMinuteSlices(db, minuteOf(now) - (MINUTE_WINDOW + 60) * 60);
}
