/** What the live room is sent after a commit or a bulk load: absolute bucket values, never increments. */
import type { Db } from "../db/client.ts";
import { dayIn } from "../kpi/calendar.ts";
import { DAY_RETENTION, daysBefore, type LiveBuckets, MINUTE_WINDOW, minuteOf } from "../live/buckets.ts";
import { liveRoom } from "../live/room-stub.ts";
import { type LiveTouch, readLiveWindow, readTouchedBuckets } from "./store/live.ts";

/**
 * After a commit, one RPC to the room with the absolute values of every bucket the batch touched:
 * the additive measures (revenue, orders, units, costs) are final at commit, and dashboards are
 * waiting for them. The same call asks the room to recompute the touched slices' non-additive
 * measures (unique and new customers, median and p90 order value) from silver, which it does from
 * an alarm while the consumer goes on. Failures here lose nothing (the data is committed, the
 * slices stay marked dirty, the scheduled job reconciles the room), so they must not make the queue
 * redeliver the batch.
 */
export async function refreshLive(
  env: Env,
  db: Db,
  touched: LiveTouch,
  { recompute = true, backlog = 0 }: { recompute?: boolean; backlog?: number } = {},
): Promise<void> {
  if (touched.days.length === 0 && touched.minutes.length === 0) return;
  await sendToRoom(env, () => readTouchedBuckets(db, touched), {
    recompute: recompute && touched.days.length > 0,
    backlog,
  });
}

/**
 * The same, for buckets already read at their transactions' commits (`ProcessOptions.readLive`):
 * the consumer's batch, which saves the read's round trip on the path of every live update.
 */
export async function sendCommitted(
  env: Env,
  committed: LiveBuckets[],
  touched: LiveTouch,
  { backlog = 0 }: { backlog?: number } = {},
): Promise<void> {
  if (touched.days.length === 0 && touched.minutes.length === 0) return;
  await sendToRoom(
    env,
    async () => ({
      days: committed.flatMap((b) => b.days),
      minutes: committed.flatMap((b) => b.minutes),
    }),
    { recompute: touched.days.length > 0, backlog },
  );
}

/**
 * After a bulk load: send the room its whole window (420 days, 48 hours) from Postgres, and have it
 * drain whatever slices are still dirty.
 */
export async function refreshLiveWindow(env: Env, db: Db): Promise<void> {
  const today = dayIn(Date.now(), env.REPORTING_TZ);
  await sendToRoom(
    env,
    () => readLiveWindow(db, daysBefore(today, DAY_RETENTION), minuteOf(Date.now()) - MINUTE_WINDOW * 60),
    { recompute: true },
  );
}

async function sendToRoom(
  env: Env,
  read: () => Promise<LiveBuckets>,
  options: { recompute?: boolean; backlog?: number } = {},
): Promise<void> {
  let buckets: LiveBuckets;
  try {
    buckets = await read();
  } catch (error) {
    console.error(JSON.stringify({ msg: "live bucket read failed", error: String(error) }));
    return;
  }
  await liveRoom(env)
    .apply(buckets, options)
    .catch((error: unknown) =>
      console.error(JSON.stringify({ msg: "live room update failed", error: String(error) })),
    );
}
