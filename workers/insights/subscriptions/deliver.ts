/**
 * The scheduled step that sends each subscriber the daily briefing once a day at their local
 * time: the day is claimed and the delivery queued in one transaction, so a crash between the two
 * sends nothing rather than twice, and the queue's retries and log are the alerts' own.
 */
import type { AlertMessage } from "../../alerts/messages.ts";
import { type Db, transaction } from "../../db/client.ts";
import { addDays, dayIn } from "../../kpi/calendar.ts";
import type { ReportContext } from "../../kpi/reports/report.ts";
import { dailyBriefing } from "../load.ts";
import { type BriefingPayload, briefingPayload } from "./message.ts";
import { dueDate } from "./schedule.ts";
import { claimDay, listSubscriptions } from "./store.ts";

export interface BriefingEnv {
  REPORTING_TZ: string;
  REPORTING_CURRENCY?: string;
  PUBLIC_URL?: string;
  ALERTS_QUEUE: Queue<AlertMessage>;
}

/** Sends what is due at `now`; answers how many briefings were queued. */
export async function sendDueBriefings(env: BriefingEnv, db: Db, now: Date): Promise<number> {
  const due = (await listSubscriptions(db))
    .filter((s) => s.enabled)
    .map((s) => ({ s, date: dueDate(s, now) }))
    .filter((d): d is { s: (typeof d)["s"]; date: string } => d.date !== null);
  if (due.length === 0) return 0;
  const timeZone = env.REPORTING_TZ || "UTC";
  const ctx: ReportContext = {
    timeZone,
    currency: env.REPORTING_CURRENCY || "USD",
    today: dayIn(now, timeZone),
  };
  // Yesterday in the reporting timezone: the last whole day, the same for every subscriber.
  const { briefing, engine } = await dailyBriefing(db, addDays(ctx.today, -1), ctx);
  const endpoints = engine.calls.map((call) => call.endpoint);
  const publicUrl = env.PUBLIC_URL || "http://localhost:8787";
  let sent = 0;
  for (const { s, date } of due) {
    const payload = briefingPayload(briefing, s.id, publicUrl, endpoints, now);
    const queued = await transaction(db, async (tx) => {
      if (!(await claimDay(tx, s.id, date))) return false;
      await env.ALERTS_QUEUE.send(message(payload, s.channelId, date));
      return true;
    });
    if (queued) sent += 1;
  }
  return sent;
}

function message(payload: BriefingPayload, channelId: string, date: string): AlertMessage {
  return {
    type: "briefing",
    channelId,
    deliveryId: `briefing.${payload.subscription_id}.${date}.${channelId}`,
    payload,
  };
}
