/**
 * The first steps of a batch, pure: each item mapped and validated into its bronze row (and
 * quarantine row, if refused), and the per-source counts of what arrived.
 */
import type { EntityEvent } from "../ingest/entities.ts";
import { applyMapping, type Mapping } from "./mapping.ts";
import type { Item, Sourced } from "./process.ts";
import {
  type BronzeRow,
  type BronzeStatus,
  heldKey,
  type QuarantineRow,
  type SourceCounts,
} from "./store/bronze.ts";

/** Maps and validates every item; pure apart from the mapping and rate tables it is given. */
export function classify(
  items: Item[],
  mappings: Map<string, Mapping>,
  rates: Map<string, number>,
  reportingCurrency: string,
) {
  const bronze: BronzeRow[] = [];
  const quarantine: QuarantineRow[] = [];
  const events = new Map<string, Sourced<EntityEvent>>();
  for (const item of items) {
    const { change } = item;
    let event: EntityEvent | undefined;
    let status: BronzeStatus = "processed";
    let rejection: { rule: string; reasons: string[] } | undefined;
    if (change.format === "native") {
      event = change.event;
    } else {
      const mapping = mappings.get(`${item.source}\u0000${change.table}`);
      if (!mapping) {
        status = "unmapped";
      } else {
        const mapped = applyMapping(change, mapping);
        if (mapped.ok) event = mapped.event;
        else rejection = mapped;
      }
    }
    if (event?.entity === "sale" && event.op !== "DELETE") {
      const currency = event.data.currency_code;
      if (currency !== reportingCurrency && !rates.has(currency)) {
        rejection = {
          rule: "unknown_currency",
          reasons: [
            `currency_code ${currency} has no exchange rate into ${reportingCurrency}; add one, then replay`,
          ],
        };
        event = undefined;
      }
    }
    if (rejection) {
      status = "quarantined";
      quarantine.push({
        source: item.source,
        sourceTable: change.table,
        entity: event?.entity ?? null,
        rule: rejection.rule,
        reason: rejection.reasons.join("; "),
        raw: item.raw,
        checksum: item.checksum,
        receivedAt: item.receivedAt,
      });
    }
    bronze.push({
      source: item.source,
      sourceTable: change.table,
      entity: event?.entity ?? (change.format === "native" ? change.table : null),
      eventType: change.format === "native" ? change.event.op : change.op,
      eventTimestamp: change.format === "native" ? change.event.eventTime : change.eventTime,
      position: change.format === "native" ? null : change.position,
      status,
      raw: item.raw,
      checksum: item.checksum,
      receivedAt: item.receivedAt,
      delivery: item.delivery ?? null,
      copy: item.copy ?? 0,
    });
    if (event && !events.has(item.checksum)) events.set(item.checksum, { ...event, source: item.source });
  }
  return { bronze, quarantine, events };
}

function count(
  counts: Map<string, SourceCounts>,
  source: string,
  at: string,
  field: keyof Omit<SourceCounts, "lastEventAt">,
) {
  const c = counts.get(source) ?? {
    accepted: 0,
    processed: 0,
    duplicates: 0,
    quarantined: 0,
    unmapped: 0,
    lastEventAt: at,
  };
  c[field]++;
  if (at > c.lastEventAt) c.lastEventAt = at;
  counts.set(source, c);
}

/** Per-source counters of what arrived: accepted, processed, duplicates, quarantined, unmapped. */
export function countArrivals(bronze: BronzeRow[], held: Set<string>, counted: Set<string>, replay: boolean) {
  const counts = new Map<string, SourceCounts>();
  const seen = new Set<string>();
  for (const row of bronze) {
    // A redelivered message's events were counted when its first delivery committed them.
    if (counted.has(heldKey(row.delivery, row.checksum, row.copy))) continue;
    if (!replay) count(counts, row.source, row.receivedAt, "accepted");
    if (held.has(row.checksum) || seen.has(row.checksum)) {
      count(counts, row.source, row.receivedAt, "duplicates");
      continue;
    }
    seen.add(row.checksum);
    count(counts, row.source, row.receivedAt, row.status === "processed" ? "processed" : row.status);
  }
  return counts;
}
