/**
 * The Pulse Worker: HTTP API (webhook, KPIs, live WebSocket), the CDC queue consumer and its
 * dead-letter consumer, the alert delivery queue, the scheduled maintenance, and the KpiRoom Durable Object.
 */
import { processAlertBatch, recordDeadAlertDeliveries } from "./alerts/delivery.ts";
import type { AlertMessage } from "./alerts/messages.ts";
import { transaction, withDb } from "./db/client.ts";
import { app } from "./http/app.ts";
import { pruneRevokedSessions } from "./http/session-token.ts";
import { clearExpiredSecrets } from "./ingest/sources.ts";
import { sendDueBriefings } from "./insights/subscriptions/deliver.ts";
import { dayIn } from "./kpi/calendar.ts";
import { refreshCustomerRfmIfDue } from "./kpi/customers/store.ts";
import { FAULT_PREFIX, faultInjectionOn, faultRoute } from "./live/fault-injection.ts";
import { pruneLiveMinutes, reconcileLiveRoom } from "./live/reconcile.ts";
import { handleCdcBatch } from "./pipeline/consumer.ts";
import { recordDeadLetters } from "./pipeline/dead-letters.ts";
import { repeatBounded, runSteps } from "./pipeline/steps.ts";
import { compactReceipts, RECEIPT_RETENTION_DAYS } from "./pipeline/store/health.ts";
import { recomputeDirtySlices } from "./pipeline/store/rollups.ts";

export { WebhookReplayGuard } from "./ingest/replay-guard.ts";
export { KpiRoom } from "./live/kpi-room.ts";

export default {
  fetch(request, env, ctx) {
    if (faultInjectionOn(env) && new URL(request.url).pathname.startsWith(FAULT_PREFIX)) {
      return faultRoute(request, env);
    }
    return app.fetch(request, env, ctx);
  },

  async queue(batch, env, _ctx) {
    if (batch.queue.startsWith("alert-deliveries")) {
      const alerts = { ...env, ALERTS_QUEUE: env.ALERTS_QUEUE as Queue<AlertMessage> };
      if (batch.queue.endsWith("-dlq")) await recordDeadAlertDeliveries(alerts, batch);
      else await processAlertBatch(alerts, batch);
      return;
    }
    if (batch.queue.endsWith("-dlq")) {
      await recordDeadLetters(env, batch);
      return;
    }
    await handleCdcBatch(env, batch);
  },

  async scheduled(controller, env) {
    // Each step on a connection of its own: one that fails does not skip the others.
    const deep = new Date(controller.scheduledTime).getUTCMinutes() < 5;
    await runSteps([
      // Partitions ahead: this month and the next two.
      [
        "partitions",
        () =>
          withDb(env, (db) =>
            db.query(
              "SELECT ensure_monthly_partitions('bronze_sales_events', date_trunc('month', now())::date, 3)",
            ),
          ),
      ],
      // Slices left dirty (bulk loads, a failed live recomputation) get their measures back; bounded,
      // so slices made dirty faster than they are recomputed cannot hold the job forever.
      [
        "dirty slices",
        () =>
          withDb(env, (db) =>
            repeatBounded(() => transaction(db, (tx) => recomputeDirtySlices(tx, 500)), { budgetMs: 60_000 }),
          ),
      ],
      ["live minutes", () => withDb(env, (db) => pruneLiveMinutes(db))],
      ["revoked sessions", () => withDb(env, (db) => pruneRevokedSessions(db))],
      ["expired source secrets", () => withDb(env, (db) => clearExpiredSecrets(db))],
      // Old ingest receipts folded into per-source totals (the ledger's `accepted` unchanged), so
      // the table holds days of receipts, not all of them; bounded like the dirty slices.
      [
        "receipts",
        () =>
          withDb(env, (db) => {
            const before = new Date(Date.now() - RECEIPT_RETENTION_DAYS * 86_400_000);
            return repeatBounded(() => transaction(db, (tx) => compactReceipts(tx, { before })), {
              budgetMs: 30_000,
            });
          }),
      ],
      // Reconcile the live room with the source of truth: corrects and reports any drift (a missed
      // or failed update); everything it keeps once an hour, the recent window otherwise.
      ["live room", () => withDb(env, (db) => reconcileLiveRoom(env, db, deep))],
      // Customer analytics (RFM, lifetime value) are rebuilt from silver when due, never per batch.
      [
        "customer analytics",
        () => withDb(env, (db) => refreshCustomerRfmIfDue(db, dayIn(Date.now(), env.REPORTING_TZ))),
      ],
      // Each subscriber's daily briefing, once a day at their local time.
      [
        "briefings",
        () =>
          withDb(env, (db) =>
            sendDueBriefings(
              { ...env, ALERTS_QUEUE: env.ALERTS_QUEUE as Queue<AlertMessage> },
              db,
              new Date(controller.scheduledTime),
            ),
          ),
      ],
    ]);
  },
} satisfies ExportedHandler<Env>;
