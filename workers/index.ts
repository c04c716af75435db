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
import { dayIn } from "./kpi/calendar.ts";
import { refreshCustomerRfmIfDue } from "./kpi/customers/store.ts";
import { pruneLiveMinutes, reconcileLiveRoom } from "./live/reconcile.ts";
import { processCdcBatch, recordDeadLetters } from "./pipeline/consumer.ts";
import { recomputeDirtySlices } from "./pipeline/store/rollups.ts";

export { WebhookReplayGuard } from "./ingest/replay-guard.ts";
export { KpiRoom } from "./live/kpi-room.ts";

export default {
  fetch: app.fetch,

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
    // Any failure throws, so the whole batch is retried (harmless: processing is idempotent) and,
    // after max_retries, dead-lettered.
    await processCdcBatch(env, batch.messages, batch.metadata?.metrics?.backlogCount ?? 0);
  },

  async scheduled(controller, env) {
    await withDb(env, async (db) => {
      // Partitions ahead: this month and the next two.
      await db.query(
        "SELECT ensure_monthly_partitions('bronze_sales_events', date_trunc('month', now())::date, 3)",
      );
      // Slices left dirty (bulk loads, a failed live recomputation) get their measures back.
      while ((await transaction(db, (tx) => recomputeDirtySlices(tx, 500))) > 0) {}
      await pruneLiveMinutes(db);
      await pruneRevokedSessions(db);
      await clearExpiredSecrets(db);
      // Reconcile the live room with the source of truth: corrects and reports any drift (a missed
      // or failed update); everything it keeps once an hour, the recent window otherwise.
      const deep = new Date(controller.scheduledTime).getUTCMinutes() < 5;
      await reconcileLiveRoom(env, db, deep);
      // Customer analytics (RFM, lifetime value) are rebuilt from silver when due, never per batch.
      await refreshCustomerRfmIfDue(db, dayIn(Date.now(), env.REPORTING_TZ));
    });
  },
} satisfies ExportedHandler<Env>;
