/**
 * The `alert-deliveries` queue consumer and its dead-letter consumer.
 *
 * A transition is recorded as an incident first — idempotently: a redelivered "firing" finds its
 * alert_id already there, and a second firing incident for the same rule and slice is refused by a
 * unique index — and only a transition that changed the incident is sent, to every channel at once.
 * A delivery that failed is retried through the queue, one message per channel, with exponential
 * backoff on 5xx, 429 and network errors; 410 Gone disables the channel; every attempt is logged.
 */
import { and, eq, sql } from "drizzle-orm";
import { alertIncidents } from "../../drizzle/alerts.ts";
import { type Db, orm, withDb } from "../db/client.ts";
import { renderBriefing } from "../insights/subscriptions/message.ts";
import { renderAlert, type SendEnv, sendToChannel } from "./channels/send.ts";
import {
  type AlertMessage,
  alertMessage,
  type BriefingMessage,
  type DeliverMessage,
  deliveryIdOf,
  type TransitionMessage,
} from "./messages.ts";
import type { AlertPayload } from "./payload.ts";
import { disableChannel, getChannel, logAttempt } from "./store.ts";

export interface AlertQueueEnv extends SendEnv {
  DATABASE_URL: string;
  PG_WS_PROXY?: string;
  ALERTS_QUEUE: Queue<AlertMessage>;
  /** First retry delay in seconds (doubling each time, at most 5 minutes). */
  ALERT_RETRY_BASE_SECONDS?: string;
}

export const backoffSeconds = (attempts: number, base: number) =>
  Math.min(300, base * 2 ** Math.max(0, attempts - 1));

/**
 * Records a transition; answers the payload to notify people with, or null when the transition
 * changed nothing (a redelivery, or a second firing incident for a rule and slice already firing).
 * A resolve or re-notify applies to the incident firing for the rule and slice, whatever alert_id
 * the room knew it by (a room restarted before its incident was recorded may hold another).
 */
export async function recordTransition(db: Db, m: TransitionMessage): Promise<AlertPayload | null> {
  const p = m.payload;
  const entry = { at: p.sources.evaluated_at, status: m.kind, observed: p.observed, expected: p.expected };
  const builder = orm(db);
  const appended = sql`${alertIncidents.timeline} || ${JSON.stringify([entry])}::jsonb`;
  const row = {
    alertId: p.alert_id,
    ruleId: p.rule.id,
    slice: m.slice,
    startedAt: new Date(p.started_at),
    detail: p,
    timeline: [entry],
  };
  if (m.kind === "firing") {
    const inserted = await builder
      .insert(alertIncidents)
      .values({ ...row, status: "firing" })
      .onConflictDoNothing()
      .returning({ id: alertIncidents.alertId });
    return inserted.length === 1 ? p : null;
  }
  const [firing] = await builder
    .select({ alertId: alertIncidents.alertId, startedAt: alertIncidents.startedAt })
    .from(alertIncidents)
    .where(
      and(
        eq(alertIncidents.ruleId, p.rule.id),
        eq(alertIncidents.slice, m.slice),
        eq(alertIncidents.status, "firing"),
      ),
    );
  if (firing) {
    const payload = { ...p, alert_id: firing.alertId, started_at: firing.startedAt.toISOString() };
    const endedAt = m.kind === "resolved" ? new Date(p.ended_at ?? p.sources.evaluated_at) : null;
    const updated = await builder
      .update(alertIncidents)
      .set({
        ...(m.kind === "resolved" ? { status: "resolved", endedAt } : {}),
        detail: payload,
        timeline: appended,
        updatedAt: sql`now()`,
      })
      .where(and(eq(alertIncidents.alertId, firing.alertId), eq(alertIncidents.status, "firing")))
      .returning({ id: alertIncidents.alertId });
    return updated.length === 1 ? payload : null;
  }
  if (m.kind === "renotify") return null;
  // Resolved before its firing arrived (reordered): record it resolved, so the late firing is a no-op.
  const inserted = await builder
    .insert(alertIncidents)
    .values({ ...row, status: "resolved", endedAt: new Date(p.ended_at ?? p.sources.evaluated_at) })
    .onConflictDoNothing()
    .returning({ id: alertIncidents.alertId });
  return inserted.length === 1 ? p : null;
}

type Attempted = "done" | "retry";

/**
 * One attempt of one message to one channel: sent and logged. Answers "retry" when it is worth
 * trying again later (5xx, 429, a network error); "done" when delivered, skipped (a disabled or
 * deleted channel), disabled by a 410 Gone, or refused for good (any other 4xx).
 */
async function attempt(
  env: AlertQueueEnv,
  db: Db,
  m: DeliverMessage | BriefingMessage,
  attemptNo: number,
): Promise<Attempted> {
  const base = {
    deliveryId: m.deliveryId,
    alertId: m.type === "deliver" ? m.payload.alert_id : null,
    channelId: m.channelId,
    kind: m.type === "deliver" ? m.kind : "briefing",
    attempt: attemptNo,
  };
  const channel = await getChannel(db, m.channelId);
  if (!channel || channel.disabledAt) {
    const error = channel ? `channel disabled since ${channel.disabledAt}` : "channel no longer exists";
    await logAttempt(db, { ...base, outcome: "skipped", error });
    return "done";
  }
  const rendered = m.type === "deliver" ? renderAlert(m.payload) : renderBriefing(m.payload);
  const result = await sendToChannel(env, channel, rendered, m.deliveryId);
  const logged = { ...base, httpStatus: result.status, error: result.error, durationMs: result.durationMs };
  if (result.ok) {
    await logAttempt(db, { ...logged, outcome: "delivered" });
    return "done";
  }
  if (result.gone) {
    await disableChannel(db, channel.id, `410 Gone on delivery ${m.deliveryId}`);
    await logAttempt(db, { ...logged, outcome: "disabled" });
    return "done";
  }
  await logAttempt(db, { ...logged, outcome: result.retryable ? "retrying" : "failed" });
  return result.retryable ? "retry" : "done";
}

const retryDelay = (env: AlertQueueEnv, attemptNo: number) =>
  backoffSeconds(attemptNo, Number(env.ALERT_RETRY_BASE_SECONDS ?? "2"));

/** A queued delivery (a retry) or briefing: attempted, then acknowledged or retried with backoff. */
async function deliverQueued(
  env: AlertQueueEnv,
  db: Db,
  m: DeliverMessage | BriefingMessage,
  message: Message<unknown>,
): Promise<void> {
  const attemptNo = message.attempts + (m.type === "deliver" ? (m.earlierAttempts ?? 0) : 0);
  if ((await attempt(env, db, m, attemptNo)) === "retry") {
    message.retry({ delaySeconds: retryDelay(env, attemptNo) });
  } else message.ack();
}

/**
 * A recorded transition goes out to every channel at once, from this consumer: a second trip
 * through the queue before the first attempt would add a queue hop and its wait to every alert.
 * Only a channel whose first attempt failed gets a message of its own, retried with backoff.
 */
async function fanOut(env: AlertQueueEnv, db: Db, m: TransitionMessage, payload: AlertPayload) {
  const recorded = { ...m, payload };
  await Promise.all(
    m.channels.map(async (channelId) => {
      const delivery: DeliverMessage = {
        type: "deliver",
        kind: m.kind,
        channelId,
        deliveryId: deliveryIdOf(recorded, channelId),
        payload,
      };
      if ((await attempt(env, db, delivery, 1)) === "done") return;
      await env.ALERTS_QUEUE.send({ ...delivery, earlierAttempts: 1 }, { delaySeconds: retryDelay(env, 1) });
    }),
  );
}

/** A queue message that is not one of ours: logged as a failed delivery, never retried. */
async function logMalformed(db: Db, message: Message<unknown>, issues: unknown[]): Promise<void> {
  console.error(
    JSON.stringify({ msg: "malformed alert message", id: message.id, issues: issues.slice(0, 5) }),
  );
  await logAttempt(db, {
    deliveryId: message.id,
    channelId: "",
    kind: "unknown",
    attempt: message.attempts,
    outcome: "failed",
    error: "malformed queue message",
  });
}

export async function processAlertBatch(env: AlertQueueEnv, batch: MessageBatch<unknown>): Promise<void> {
  await withDb(env, async (db) => {
    for (const message of batch.messages) {
      const parsed = alertMessage.safeParse(message.body);
      if (!parsed.success) {
        await logMalformed(db, message, parsed.error.issues);
        message.ack();
        continue;
      }
      const m = parsed.data;
      if (m.type !== "transition") {
        await deliverQueued(env, db, m, message);
        continue;
      }
      const payload = await recordTransition(db, m);
      if (payload && m.notify && m.channels.length > 0) await fanOut(env, db, m, payload);
      message.ack();
    }
  });
}

/** Deliveries that failed every retry: logged as `dead`, visible in `GET /api/v1/alerts/deliveries`. */
export async function recordDeadAlertDeliveries(
  env: AlertQueueEnv,
  batch: MessageBatch<unknown>,
): Promise<void> {
  await withDb(env, async (db) => {
    for (const message of batch.messages) {
      const parsed = alertMessage.safeParse(message.body);
      const m = parsed.success && parsed.data.type !== "transition" ? parsed.data : null;
      await logAttempt(db, {
        deliveryId: m?.deliveryId ?? message.id,
        alertId: m?.type === "deliver" ? m.payload.alert_id : null,
        channelId: m?.channelId ?? "",
        kind: m ? (m.type === "deliver" ? m.kind : "briefing") : "unknown",
        attempt: message.attempts,
        outcome: "dead",
        error: "gave up after every retry",
      });
      message.ack();
    }
  });
}
