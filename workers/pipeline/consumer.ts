/**
 * The `cdc-events` queue consumer. One transaction per batch: bronze (dedup by checksum), silver
 * (current state of each sale), the daily rollup (incremental), quarantine (rejects kept with
 * their reason) — then one RPC to the live room with the absolute values of the days it touched.
 *
 * Redelivery is harmless: bronze ignores events it already holds, so a repeated batch changes
 * nothing, and the room receives absolute values, never increments.
 */
import { transaction, withDb } from "../db/client.ts";
import { parseEvent } from "../ingest/events.ts";
import { assertTimeZone } from "../kpi/calendar.ts";
import { liveRoom } from "../live/room-stub.ts";
import { type CdcMessage, cdcMessage } from "./message.ts";
import { type IncomingSaleEvent, resolveSales } from "./sales.ts";
import {
  applyDailyDeltas,
  type BronzeRow,
  type DayTotals,
  insertBronze,
  insertDeadLetters,
  insertQuarantine,
  lockSales,
  type QuarantineRow,
  touchSources,
  upsertSilverSales,
} from "./store.ts";

export interface BatchOutcome {
  events: number;
  inserted: number;
  duplicates: number;
  quarantined: number;
  touchedDays: DayTotals[];
}

/** Turns queue messages into bronze rows, sale events and quarantine rows (pure). */
export function planBatch(messages: readonly { id: string; body: unknown }[]) {
  const bronze: BronzeRow[] = [];
  const sales: (IncomingSaleEvent & { checksum: string })[] = [];
  const quarantine: QuarantineRow[] = [];
  const seen = new Map<string, string>();
  for (const message of messages) {
    const parsed = cdcMessage.safeParse(message.body);
    if (!parsed.success) {
      quarantine.push({
        source: "unknown",
        reason: `unreadable queue message ${message.id}: ${parsed.error.issues[0]?.message ?? "invalid"}`,
        raw: message.body,
        receivedAt: new Date().toISOString(),
      });
      continue;
    }
    const body: CdcMessage = parsed.data;
    const previous = seen.get(body.source);
    if (!previous || previous < body.received_at) seen.set(body.source, body.received_at);
    for (const { raw, reasons } of body.rejected) {
      quarantine.push({ source: body.source, reason: reasons.join("; "), raw, receivedAt: body.received_at });
    }
    for (const { checksum, raw } of body.events) {
      const event = parseEvent(raw);
      if (!event.ok) {
        quarantine.push({
          source: body.source,
          reason: event.reasons.join("; "),
          raw,
          receivedAt: body.received_at,
        });
        continue;
      }
      bronze.push({
        source: body.source,
        entity: event.event.entity,
        eventType: event.event.op,
        eventTimestamp: event.event.eventTimestamp,
        raw,
        checksum,
        receivedAt: body.received_at,
      });
      sales.push({ event: event.event, source: body.source, checksum });
    }
  }
  return { bronze, sales, quarantine, seen };
}

export async function processCdcBatch(
  env: Env,
  messages: readonly { id: string; body: unknown }[],
): Promise<BatchOutcome> {
  const timeZone = assertTimeZone(env.REPORTING_TZ);
  const plan = planBatch(messages);
  const outcome = await withDb(env, (db) =>
    transaction(db, async (tx) => {
      const fresh = await insertBronze(tx, plan.bronze);
      // The same event twice in one batch inserts once; only its first copy is applied.
      const applied = new Set<string>();
      const newSales = plan.sales.filter((s) => {
        if (!fresh.has(s.checksum) || applied.has(s.checksum)) return false;
        applied.add(s.checksum);
        return true;
      });
      const existing = await lockSales(
        tx,
        newSales.map((s) => s.event.key),
      );
      const { changed, deltas } = resolveSales(existing, newSales, timeZone);
      await upsertSilverSales(tx, changed, crypto.randomUUID(), timeZone);
      const touchedDays = await applyDailyDeltas(tx, deltas);
      await insertQuarantine(tx, plan.quarantine);
      await touchSources(tx, plan.seen);
      return {
        events: plan.bronze.length,
        inserted: fresh.size,
        duplicates: plan.bronze.length - fresh.size,
        quarantined: plan.quarantine.length,
        touchedDays,
      };
    }),
  );
  if (outcome.touchedDays.length > 0) {
    // Committed data is safe; if the room cannot be reached now, the scheduled reconciliation
    // brings it up to date, so this failure must not make the queue redeliver the batch.
    await liveRoom(env)
      .applyDaily(outcome.touchedDays)
      .catch((error: unknown) =>
        console.error(JSON.stringify({ msg: "live room update failed", error: String(error) })),
      );
  }
  return outcome;
}

/** The dead-letter queue's consumer: messages that failed every retry are recorded, not lost. */
export async function recordDeadLetters(env: Env, batch: MessageBatch<unknown>): Promise<void> {
  await withDb(env, (db) =>
    transaction(db, (tx) =>
      insertDeadLetters(
        tx,
        batch.messages.map((m) => ({
          queue: batch.queue,
          messageId: m.id,
          attempts: m.attempts,
          body: m.body,
        })),
      ),
    ),
  );
}
