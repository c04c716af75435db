/** The pipeline's own state: the last batch's lag, and the figures of the health endpoint. */
import type { Db } from "../../db/client.ts";
import { write } from "../../db/statements.ts";
import { duplicateReceiptPrefixSql, duplicateReceiptSql } from "./bronze.ts";

export async function recordBatch(tx: Db, items: { receivedAt: string }[]): Promise<void> {
  if (items.length === 0) return;
  const oldest = items.map((i) => i.receivedAt).sort()[0]!;
  await write(
    tx,
    `INSERT INTO pipeline_state (id, last_batch_at, last_batch_events, last_batch_lag_ms)
     VALUES (1, clock_timestamp(), $1, GREATEST(0, extract(epoch FROM clock_timestamp() - $2::timestamptz) * 1000)::int)
     ON CONFLICT (id) DO UPDATE SET last_batch_at = excluded.last_batch_at,
       last_batch_events = excluded.last_batch_events, last_batch_lag_ms = excluded.last_batch_lag_ms`,
    [items.length, oldest],
  );
}

export interface Health {
  last_batch_at: string | null;
  last_batch_events: number;
  lag_ms: number | null;
  dirty_slices: number;
  totals: Record<LedgerField, number>;
  sources: ({ name: string; last_seen_at: string | null } & Record<LedgerField, number>)[];
}

/**
 * The ledger, per source: every event the webhook accepted (receipts: valid ones and the rejected
 * ones it kept) is stored in bronze (processed, or a duplicate of one stored before), quarantined,
 * unmapped, dead-lettered — or still in flight (on the queue, waiting for a retry):
 * `accepted = processed + duplicates + quarantined + unmapped + dead_lettered + in_flight`.
 * In flight is what the others do not account for; it returns to 0 once the queue is drained,
 * and a value below 0 would mean an event counted twice.
 *
 * A dead message counts only its events that its own delivery did not store, quarantine or count
 * as duplicates: a message can die after some of its transactions committed (a batch split in
 * parts, or committed and then not acknowledged), and those events are already counted where they
 * landed. A replay that stores the
 * rest shrinks it to 0 before the row is marked replayed.
 */
type LedgerField =
  | "accepted"
  | "processed"
  | "duplicates"
  | "quarantined"
  | "unmapped"
  | "dead_lettered"
  | "in_flight";

export async function readHealth(db: Db): Promise<Health> {
  const state = await db.query<{ last_batch_at: Date; last_batch_events: number; last_batch_lag_ms: number }>(
    "SELECT last_batch_at, last_batch_events, last_batch_lag_ms FROM pipeline_state WHERE id = 1",
  );
  const dirty = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM kpi_dirty");
  const sources = await readSourceLedgers(db);
  const unattributed = await db.query<{ n: string }>(
    "SELECT coalesce(sum(events), 0) AS n FROM dead_letters WHERE source IS NULL AND replayed_at IS NULL",
  );
  const sum = (f: keyof Health["totals"]) => sources.reduce((n, s) => n + s[f], 0);
  const row = state.rows[0];
  return {
    last_batch_at: row?.last_batch_at.toISOString() ?? null,
    last_batch_events: row?.last_batch_events ?? 0,
    lag_ms: row?.last_batch_lag_ms ?? null,
    dirty_slices: dirty.rows[0]?.n ?? 0,
    totals: {
      accepted: sum("accepted"),
      processed: sum("processed"),
      duplicates: sum("duplicates"),
      quarantined: sum("quarantined"),
      unmapped: sum("unmapped"),
      dead_lettered: sum("dead_lettered") + Number(unattributed.rows[0]?.n ?? 0),
      in_flight: sum("in_flight"),
    },
    sources,
  };
}

/** Each source's ledger; `in_flight` is what the others do not account for. */
async function readSourceLedgers(db: Db): Promise<Health["sources"]> {
  const perSource = await db.query<{
    name: string;
    last_seen_at: Date | null;
    accepted: string;
    processed: string;
    duplicates: string;
    quarantined: string;
    unmapped: string;
    dead_lettered: string;
  }>(
    `WITH names AS (SELECT name FROM sources UNION SELECT source FROM source_stats
                    UNION SELECT DISTINCT source FROM ingest_receipts
                    UNION SELECT source FROM ingest_receipt_totals
                    UNION SELECT DISTINCT source_system FROM quarantine WHERE replayed_at IS NULL
                    UNION SELECT DISTINCT source FROM dead_letters WHERE source IS NOT NULL AND replayed_at IS NULL),
          receipts AS (SELECT source, sum(events) AS events
                         FROM (SELECT source, events FROM ingest_receipts
                               UNION ALL SELECT source, events FROM ingest_receipt_totals) r GROUP BY source),
          dead AS (
            SELECT d.source, d.events - (
                     SELECT count(*) FROM bronze_sales_events b
                      WHERE b.delivery = d.delivery
                        AND b.checksum IN (SELECT e ->> 'checksum' FROM jsonb_array_elements(d.accepted) e))
                   - (SELECT count(*) FROM ingest_receipts r
                       WHERE r.delivery IN (SELECT ${duplicateReceiptSql("d.delivery", "c.checksum", "c.copy")}
                                              FROM (SELECT e ->> 'checksum' AS checksum,
                                                           row_number() OVER (PARTITION BY e ->> 'checksum' ORDER BY i) - 1 AS copy
                                                      FROM jsonb_array_elements(d.accepted) WITH ORDINALITY AS a(e, i)) c))
                   - (SELECT count(*) FROM quarantine q
                       WHERE q.delivery IN (SELECT d.delivery || '/' || (e ->> 'checksum') FROM jsonb_array_elements(d.accepted) e
                                            UNION ALL
                                            SELECT d.delivery || '/' || (i - 1)
                                              FROM jsonb_array_elements(d.rejected) WITH ORDINALITY AS r(x, i))) AS events
              FROM (SELECT source, events, coalesce(body ->> 'id', message_id) AS delivery,
                           CASE WHEN jsonb_typeof(body -> 'events') = 'array' THEN body -> 'events' ELSE '[]' END AS accepted,
                           CASE WHEN jsonb_typeof(body -> 'rejected') = 'array' THEN body -> 'rejected' ELSE '[]' END AS rejected
                      FROM dead_letters
                     WHERE source IS NOT NULL AND replayed_at IS NULL AND queue NOT LIKE 'alert%') d)
     SELECT n.name, s.last_seen_at,
            coalesce(r.events, 0) AS accepted, coalesce(st.processed, 0) AS processed,
            coalesce(st.duplicates, 0) AS duplicates,
            (SELECT count(*) FROM quarantine q WHERE q.source_system = n.name AND q.replayed_at IS NULL) AS quarantined,
            (SELECT count(*) FROM bronze_sales_events b WHERE b.source_system = n.name AND b.status = 'unmapped') AS unmapped,
            (SELECT coalesce(sum(d.events), 0) FROM dead d WHERE d.source = n.name) AS dead_lettered
       FROM names n LEFT JOIN sources s ON s.name = n.name LEFT JOIN source_stats st ON st.source = n.name
            LEFT JOIN receipts r ON r.source = n.name
      ORDER BY n.name`,
  );
  return perSource.rows.map((r) => {
    const row = {
      name: r.name,
      last_seen_at: r.last_seen_at?.toISOString() ?? null,
      accepted: Number(r.accepted),
      processed: Number(r.processed),
      duplicates: Number(r.duplicates),
      quarantined: Number(r.quarantined),
      unmapped: Number(r.unmapped),
      dead_lettered: Number(r.dead_lettered),
    };
    const accounted = row.processed + row.duplicates + row.quarantined + row.unmapped + row.dead_lettered;
    return { ...row, in_flight: row.accepted - accounted };
  });
}

/**
 * How long a receipt is kept before it is folded into its source's total. A receipt is also the
 * key that makes writing it again a no-op (the consumer and the dead-letter consumer write it when
 * the webhook could not), so it may go only once no message can still carry its delivery: older
 * than the queue's and the dead-letter queue's retention (4 days each) together.
 */
export const RECEIPT_RETENTION_DAYS = 8;

/**
 * Folds receipts received before `before` into `ingest_receipt_totals`, `limit` at a time, in one
 * transaction with the delete, so `accepted` (totals + receipts) never changes. Receipts of
 * messages waiting in `dead_letters` stay: their replay writes the receipt again. Returns the
 * number of receipts compacted.
 */
export async function compactReceipts(
  tx: Db,
  { before, limit = 10_000, source }: { before: Date; limit?: number; source?: string },
): Promise<number> {
  const result = await tx.query<{ n: number }>(
    `WITH pick AS (
       SELECT r.delivery FROM ingest_receipts r
        WHERE r.received_at < $1 AND ($3::text IS NULL OR r.source = $3)
          AND NOT EXISTS (SELECT 1 FROM dead_letters d
                           WHERE d.replayed_at IS NULL
                             AND (coalesce(d.body ->> 'id', d.message_id) = r.delivery
                                  OR starts_with(r.delivery, ${duplicateReceiptPrefixSql("coalesce(d.body ->> 'id', d.message_id)")})))
        ORDER BY r.received_at LIMIT $2
        FOR UPDATE SKIP LOCKED),
     gone AS (
       DELETE FROM ingest_receipts r USING pick WHERE r.delivery = pick.delivery
       RETURNING r.source, r.events),
     folded AS (
       INSERT INTO ingest_receipt_totals AS t (source, events, receipts)
       SELECT source, sum(events), count(*) FROM gone GROUP BY source
       ON CONFLICT (source) DO UPDATE SET events = t.events + excluded.events,
         receipts = t.receipts + excluded.receipts, compacted_at = now()
       RETURNING receipts)
     SELECT count(*)::int AS n FROM gone`,
    [before.toISOString(), limit, source ?? null],
  );
  return result.rows[0]?.n ?? 0;
}
