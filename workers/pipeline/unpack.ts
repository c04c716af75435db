/**
 * Unpacking queue messages: the items to process, the quarantine rows of events rejected at the
 * webhook (or signed with a secret revoked before they arrived), and the receipts of their
 * deliveries.
 */
import { parseEvent } from "../ingest/events.ts";
import { type CdcMessage, cdcMessage } from "./message.ts";
import type { Item } from "./process.ts";
import { REVOKED_SECRET, revocationOf } from "./revocations.ts";
import type { QuarantineRow } from "./store/bronze.ts";

/** The events a message carries (accepted and rejected at the webhook): its share of the ledger. */
export function eventsIn(body: unknown): number {
  const parsed = cdcMessage.safeParse(body);
  return parsed.success ? parsed.data.events.length + parsed.data.rejected.length : 1;
}

/**
 * Turns queue messages into items, the quarantine rows of events rejected at the webhook (or
 * signed with a secret revoked before they arrived: `revoked`, see revocations.ts), and the
 * receipts of their deliveries.
 */
export function readMessages(
  messages: readonly { id: string; body: unknown }[],
  revoked: ReadonlyMap<string, number> = new Map(),
) {
  const items: Item[] = [];
  const rejected: QuarantineRow[] = [];
  const receipts: Receipt[] = [];
  for (const message of messages) {
    const parsed = cdcMessage.safeParse(message.body);
    if (!parsed.success) {
      rejected.push(unreadable(message, parsed.error.issues[0]?.message ?? "invalid"));
      continue;
    }
    const body = parsed.data;
    const delivery = body.id ?? message.id;
    receipts.push({
      delivery,
      source: body.source,
      events: body.events.length + body.rejected.length,
      receivedAt: body.received_at,
    });
    const revocation = revocationOf(body, revoked);
    if (revocation) {
      rejected.push(...revokedRows(body, delivery, revocation));
      continue;
    }
    rejected.push(...webhookRejections(body, delivery));
    const unpacked = unpackEvents(body, delivery);
    items.push(...unpacked.items);
    rejected.push(...unpacked.rejected);
  }
  return { items, rejected, receipts };
}

/** A message that is not a CDC message at all: kept whole, under its queue id. */
function unreadable(message: { id: string; body: unknown }, issue: string): QuarantineRow {
  return {
    source: "unknown",
    sourceTable: null,
    entity: null,
    rule: "unreadable_message",
    reason: `unreadable queue message ${message.id}: ${issue}`,
    raw: message.body,
    checksum: null,
    receivedAt: new Date().toISOString(),
    delivery: `${message.id}`.slice(0, 160),
  };
}

/** Every event of a message signed with a revoked secret, accepted or not: quarantined. */
function revokedRows(body: CdcMessage, delivery: string, revocation: string): QuarantineRow[] {
  const all = [
    ...body.events.map((e) => ({ raw: e.raw, checksum: e.checksum as string | null })),
    ...body.rejected.map((r) => ({ raw: r.raw, checksum: null })),
  ];
  return all.map(({ raw, checksum }, index) => ({
    source: body.source,
    sourceTable: null,
    entity: null,
    rule: REVOKED_SECRET,
    reason: revocation,
    raw,
    checksum,
    receivedAt: body.received_at,
    delivery: `${delivery}/${checksum ?? index}`,
  }));
}

/** The events the webhook rejected and kept in the message, keyed by their place in it. */
function webhookRejections(body: CdcMessage, delivery: string): QuarantineRow[] {
  return body.rejected.map(({ raw, rule, reasons }, index) => ({
    source: body.source,
    sourceTable: null,
    entity: null,
    rule,
    reason: reasons.join("; "),
    raw,
    checksum: null,
    receivedAt: body.received_at,
    delivery: `${delivery}/${index}`,
  }));
}

/** The accepted events: items, or quarantine rows for those this version no longer reads. */
function unpackEvents(body: CdcMessage, delivery: string) {
  const items: Item[] = [];
  const rejected: QuarantineRow[] = [];
  const copies = new Map<string, number>();
  for (const { checksum, raw } of body.events) {
    const copy = copies.get(checksum) ?? 0;
    copies.set(checksum, copy + 1);
    const event = parseEvent(raw);
    if (!event.ok) {
      rejected.push({
        source: body.source,
        sourceTable: null,
        entity: null,
        rule: event.rule,
        reason: event.reasons.join("; "),
        raw,
        checksum,
        receivedAt: body.received_at,
        delivery: `${delivery}/${checksum}`,
      });
      continue;
    }
    items.push({
      source: body.source,
      receivedAt: body.received_at,
      raw,
      checksum,
      change: event.change,
      delivery,
      copy,
    });
  }
  return { items, rejected };
}

export interface Receipt {
  delivery: string;
  source: string;
  events: number;
  receivedAt: string;
}
