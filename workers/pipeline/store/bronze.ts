/** Bronze, quarantine, dead letters and source counters: the consumer's bookkeeping SQL. */
import type { Db } from "../../db/client.ts";
import { write } from "../../db/statements.ts";
import { storableCopy, storableText } from "../../ingest/storable.ts";

export type BronzeStatus = "processed" | "unmapped" | "quarantined";

export interface BronzeRow {
  source: string;
  sourceTable: string;
  entity: string | null;
  eventType: string;
  eventTimestamp: string;
  position: string | null;
  status: BronzeStatus;
  raw: unknown;
  checksum: string;
  receivedAt: string;
  /** The delivery (queue message) storing it. */
  delivery: string | null;
  /** Which copy of the event its delivery carries (0: the first). */
  copy: number;
}

/**
 * Inserts events into bronze; returns the checksums it already held (usually none), so that a
 * batch of thousands of new events does not read thousands of rows back — and, of a delivery's
 * events, those (`heldKey`) it has already counted: the copy this very delivery stored (a
 * redelivered message), and duplicates an earlier attempt of it counted. That a delivery counted a
 * duplicate — of a row held before, or a later copy of an event this batch stores (the same event
 * twice in a message, or in two messages of the batch) — is recorded in the same statement, as a
 * receipt of no events keyed by `duplicateReceiptSql` (the receipts are the ledger's keys already,
 * and a receipt of no events adds nothing to `accepted`): a message whose first attempt committed
 * part of it, or all of it without being acknowledged, counts each of its duplicates once.
 *
 * The rows travel as two parameters: their columns as one JSON document read by
 * `json_to_recordset` (for thousands of rows cheaper than Postgres array literals, whose
 * per-element escaping dominated a large batch), and the raw events as lines of one text, zipped
 * back to their rows by `ROWS FROM`. Nested in the document, every raw event would be parsed twice
 * by the server (the document's validation, then the extraction); as a line it is read once, by the
 * cast to json. The measured gains are in the README ("Figures behind the code").
 */
export async function insertBronze(tx: Db, rows: BronzeRow[]): Promise<BronzeHeld> {
  if (rows.length === 0) return { held: new Set(), counted: new Set() };
  // JSON text has no raw line breaks (JSON.stringify escapes them), so a line is one event.
  const raw = rows.map((r) => JSON.stringify(r.raw ?? null)).join("\n");
  // `repeat`: a later row of an event this batch carries more than once (a duplicate if it is
  // stored). It and `copy` travel only when not the default (nearly every row is a first copy).
  const seen = new Set<string>();
  const columns = JSON.stringify(
    rows.map(({ raw: _raw, copy, ...row }) => {
      const repeat = seen.has(row.checksum);
      seen.add(row.checksum);
      return { ...row, copy: copy || undefined, repeat: repeat || undefined };
    }),
  );
  const result = await tx.query<HeldRow>(
    `WITH x AS (
       SELECT source, "sourceTable", entity, "eventType", "eventTimestamp", position, status, checksum,
              "receivedAt", delivery, coalesce(copy, 0) AS copy, coalesce(repeat, false) AS repeat,
              raw::json AS raw
         FROM ROWS FROM (
                json_to_recordset($1::json) AS (source text, "sourceTable" text, entity text, "eventType" text,
                  "eventTimestamp" timestamptz, position text, status text, checksum text, "receivedAt" timestamptz,
                  delivery text, copy int, repeat boolean),
                string_to_table($2, E'\\n'))
           AS x(source, "sourceTable", entity, "eventType", "eventTimestamp", position, status, checksum,
                "receivedAt", delivery, copy, repeat, raw)),
     inserted AS (
       INSERT INTO bronze_sales_events
         (source_system, source_table, entity, event_type, event_timestamp, position, partition_date, status,
          raw_payload, checksum, ingestion_timestamp, delivery)
       SELECT source, "sourceTable", entity, "eventType", "eventTimestamp", position,
              ("eventTimestamp" AT TIME ZONE 'UTC')::date, status, raw, checksum, "receivedAt", delivery
         FROM x
       ON CONFLICT (checksum, partition_date) DO NOTHING
       RETURNING checksum),
     held AS (SELECT DISTINCT checksum, delivery, copy, source, "receivedAt",
                     ("eventTimestamp" AT TIME ZONE 'UTC')::date AS day
                FROM x WHERE checksum NOT IN (SELECT checksum FROM inserted)),
     found AS (
       SELECT h.checksum, h.delivery, h.copy, h.source, min(h."receivedAt") AS "receivedAt", true AS held,
              h.copy = 0 AND bool_or(b.delivery IS NOT DISTINCT FROM h.delivery AND h.delivery IS NOT NULL)
                AS redelivered
         FROM held h LEFT JOIN bronze_sales_events b ON b.checksum = h.checksum AND b.partition_date = h.day
        GROUP BY h.checksum, h.delivery, h.copy, h.source
       UNION ALL
       -- Later copies of an event this batch stores: duplicates its delivery counts now.
       SELECT checksum, delivery, copy, source, "receivedAt", false, false
         FROM x WHERE repeat AND delivery IS NOT NULL AND checksum IN (SELECT checksum FROM inserted)),
     marked AS (
       INSERT INTO ingest_receipts (delivery, source, events, received_at)
       SELECT ${duplicateReceiptSql("delivery", "checksum", "copy")}, source, 0, "receivedAt"
         FROM found WHERE NOT redelivered AND delivery IS NOT NULL
       ON CONFLICT (delivery) DO NOTHING
       RETURNING delivery)
     SELECT f.checksum, f.delivery, f.copy, f.held,
            f.redelivered OR (f.delivery IS NOT NULL AND ${duplicateReceiptSql("f.delivery", "f.checksum", "f.copy")}
                                NOT IN (SELECT delivery FROM marked)) AS counted
       FROM found f`,
    [columns, raw],
  );
  return {
    held: new Set(result.rows.filter((r) => r.held).map((r) => r.checksum)),
    counted: new Set(
      result.rows.filter((r) => r.counted).map((r) => heldKey(r.delivery, r.checksum, r.copy)),
    ),
  };
}

interface HeldRow {
  checksum: string;
  delivery: string | null;
  copy: number;
  held: boolean;
  counted: boolean;
}

/** What bronze already held of a batch (see `insertBronze`). */
export interface BronzeHeld {
  /** Checksums bronze held before the batch. */
  held: Set<string>;
  /** `heldKey`s of the events their delivery has counted already: nothing to count again. */
  counted: Set<string>;
}

export const heldKey = (delivery: string | null, checksum: string, copy: number) =>
  `${delivery ?? ""}\u0000${checksum}\u0000${copy}`;

/**
 * The key of the receipt recording that a delivery counted a duplicate of an event (SQL over two
 * text expressions and the copy's number): within the receipts' 80 characters whatever the
 * delivery's length, and prefixed by the delivery's own digest so the compaction can keep a dead
 * message's ones. The first copy's key has no number (as before messages could repeat an event).
 */
export const duplicateReceiptSql = (delivery: string, checksum: string, copy: string) =>
  `${duplicateReceiptPrefixSql(delivery)} || md5(${checksum}) || CASE WHEN ${copy} > 0 THEN ':' || ${copy} ELSE '' END`;

/** What every duplicate receipt of one delivery starts with. */
export const duplicateReceiptPrefixSql = (delivery: string) => `'dup:' || md5(${delivery}) || ':'`;

/**
 * Takes a source's bronze events of one status out of bronze (to be processed again as new):
 * the replay of unmapped events once a mapping exists, or of quarantined ones once fixed.
 */
export async function takeBronzeForReplay(
  tx: Db,
  source: string,
  status: "unmapped" | "quarantined",
  limit: number,
): Promise<{ raw: unknown; receivedAt: string }[]> {
  const result = await tx.query<{ raw_payload: unknown; ingestion_timestamp: Date; checksum: string }>(
    `DELETE FROM bronze_sales_events b
      USING (SELECT event_id, partition_date FROM bronze_sales_events
              WHERE source_system = $1 AND status = $2 AND status <> 'processed'
              ORDER BY event_timestamp, event_id LIMIT $3) pick
      WHERE b.event_id = pick.event_id AND b.partition_date = pick.partition_date
     RETURNING b.raw_payload, b.ingestion_timestamp, b.checksum`,
    [source, status, limit],
  );
  if (status === "quarantined") {
    // Only the quarantine rows of the events taken: they are processed again (and quarantined
    // again if still invalid); the others stay as they are.
    await tx.query(
      `UPDATE quarantine SET replayed_at = now()
        WHERE source_system = $1 AND replayed_at IS NULL AND checksum = ANY($2::text[])`,
      [source, result.rows.map((r) => r.checksum)],
    );
  }
  return result.rows.map((r) => ({ raw: r.raw_payload, receivedAt: r.ingestion_timestamp.toISOString() }));
}

export interface QuarantineRow {
  source: string;
  sourceTable: string | null;
  entity: string | null;
  rule: string;
  reason: string;
  raw: unknown;
  checksum: string | null;
  receivedAt: string;
  /** For a row without a checksum: its delivery and place in it (a redelivery records nothing new). */
  delivery?: string | null;
}

/** Inserts quarantine rows (whatever they carry: text the database refuses is replaced first). */
export async function insertQuarantine(tx: Db, rows: QuarantineRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const storable = rows.map((r) => ({
    ...r,
    source: storableText(r.source).slice(0, 50),
    reason: storableText(r.reason),
    raw: safeCopy(r.raw),
    delivery: r.delivery ?? null,
  }));
  const result = await tx.query(
    `INSERT INTO quarantine (source_system, source_table, entity, rule, reason, raw_event, checksum, received_at, delivery)
     SELECT source, "sourceTable", entity, rule, reason, coalesce(raw, 'null'), checksum, "receivedAt", delivery
       FROM json_to_recordset($1::json) AS x(source text, "sourceTable" text, entity text, rule text,
            reason text, raw jsonb, checksum text, "receivedAt" timestamptz, delivery text)
     ON CONFLICT (delivery) DO NOTHING`,
    [JSON.stringify(storable)],
  );
  return result.rowCount ?? 0;
}

function safeCopy(raw: unknown): unknown {
  try {
    return storableCopy(raw);
  } catch {
    return { preview: "(nested too deep to keep)" };
  }
}

/**
 * One receipt per delivery; a receipt already written (by the webhook, an earlier attempt) stays.
 * In delivery order: the webhook's insert and the consumer's may carry the same deliveries, and
 * rows taken in one order never wait on each other in a cycle.
 */
export async function insertReceipts(
  tx: Db,
  receipts: { delivery: string; source: string; events: number; receivedAt: string }[],
): Promise<void> {
  if (receipts.length === 0) return;
  const rows = [...receipts].sort((a, b) => (a.delivery < b.delivery ? -1 : a.delivery > b.delivery ? 1 : 0));
  await write(
    tx,
    `INSERT INTO ingest_receipts (delivery, source, events, received_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::timestamptz[])
     ON CONFLICT (delivery) DO NOTHING`,
    [
      rows.map((r) => r.delivery),
      rows.map((r) => r.source),
      rows.map((r) => r.events),
      rows.map((r) => r.receivedAt),
    ],
  );
}

export interface SourceCounts {
  accepted: number;
  processed: number;
  duplicates: number;
  quarantined: number;
  unmapped: number;
  lastEventAt: string;
}

/** Adds a batch's counts to each source's counters and records when it was last heard from. */
export async function addSourceStats(tx: Db, counts: Map<string, SourceCounts>): Promise<void> {
  if (counts.size === 0) return;
  const names = [...counts.keys()].sort();
  const c = names.map((n) => counts.get(n)!);
  await write(
    tx,
    `WITH stats AS (
       INSERT INTO source_stats AS s (source, accepted, processed, duplicates, quarantined, unmapped, last_event_at)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[],
                            $7::timestamptz[])
       ON CONFLICT (source) DO UPDATE SET
         accepted = s.accepted + excluded.accepted, processed = s.processed + excluded.processed,
         duplicates = s.duplicates + excluded.duplicates, quarantined = s.quarantined + excluded.quarantined,
         unmapped = s.unmapped + excluded.unmapped,
         last_event_at = GREATEST(s.last_event_at, excluded.last_event_at)
       RETURNING 1)
     UPDATE sources s SET last_seen_at = GREATEST(s.last_seen_at, x.at)
       FROM unnest($1::text[], $7::timestamptz[]) AS x(name, at) WHERE s.name = x.name`,
    [
      names,
      c.map((x) => x.accepted),
      c.map((x) => x.processed),
      c.map((x) => x.duplicates),
      c.map((x) => x.quarantined),
      c.map((x) => x.unmapped),
      c.map((x) => x.lastEventAt),
    ],
  );
}

export interface DeadLetterRow {
  queue: string;
  messageId: string;
  source: string | null;
  attempts: number;
  body: unknown;
  error: string | null;
  events: number;
}

/** Records dead messages; one already recorded keeps its row (a known error is filled in). */
export async function insertDeadLetters(tx: Db, rows: DeadLetterRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO dead_letters AS d (queue, message_id, source, attempts, body, error, events)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::smallint[], $5::jsonb[], $6::text[], $7::int[])
     ON CONFLICT (message_id) DO UPDATE SET error = coalesce(d.error, excluded.error)`,
    [
      rows.map((r) => r.queue),
      rows.map((r) => r.messageId),
      rows.map((r) => r.source),
      rows.map((r) => Math.min(r.attempts, 32_767)),
      rows.map((r) => JSON.stringify(safeCopy(r.body) ?? null)),
      rows.map((r) => (r.error === null ? null : storableText(r.error))),
      rows.map((r) => r.events),
    ],
  );
}

/** Mappings of the given sources, by `source \0 table`. */
export async function loadMappings(
  tx: Db,
  sources: string[],
): Promise<
  Map<string, { entity: string; columns: Record<string, string>; defaults: Record<string, unknown> }>
> {
  if (sources.length === 0) return new Map();
  const result = await tx.query<{
    source: string;
    source_table: string;
    entity: string;
    columns: Record<string, string>;
    defaults: Record<string, unknown>;
  }>(
    "SELECT source, source_table, entity, columns, defaults FROM source_mappings WHERE source = ANY($1::text[])",
    [sources],
  );
  return new Map(result.rows.map((r) => [`${r.source}\u0000${r.source_table}`, r]));
}

/** Exchange rates into the reporting currency. */
export async function loadRates(tx: Db): Promise<Map<string, number>> {
  const result = await tx.query<{ currency_code: string; rate: string }>(
    "SELECT currency_code, rate_to_reporting::text AS rate FROM exchange_rates",
  );
  return new Map(result.rows.map((r) => [r.currency_code, Number(r.rate)]));
}
