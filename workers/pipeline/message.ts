/**
 * The body of a `cdc-events` queue message. Queue bodies are untrusted input like any other
 * (a message can outlive a deploy), so the consumer parses them with this schema.
 */
import { Buffer } from "node:buffer";
import { z } from "zod";

export const cdcMessage = z.object({
  v: z.literal(1),
  /**
   * The delivery: set by the webhook, kept through retries, the dead-letter queue and replays. The
   * ledger's receipt, bronze's record of who stored an event and the quarantine's of a rejected one
   * key on it. (Messages sent before it existed are keyed by their queue message id.)
   */
  id: z.string().min(1).max(80).optional(),
  source: z.string().min(1),
  /**
   * The key of the secret that verified the request (sources.ts). The consumer quarantines the
   * events if that secret had been revoked before `received_at`. (Older messages carry none.)
   */
  key: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  received_at: z.iso.datetime({ offset: true }),
  /** Events that passed validation at the webhook, each with its dedup checksum. */
  events: z.array(z.object({ checksum: z.string().regex(/^[0-9a-f]{64}$/), raw: z.unknown() })),
  /** Events rejected at the webhook; kept (quarantined) with their reasons, never dropped. */
  rejected: z.array(z.object({ raw: z.unknown(), rule: z.string(), reasons: z.array(z.string()) })),
});
export type CdcMessage = z.infer<typeof cdcMessage>;

/** Queues cap a message at 128 KB; stay well below with room for the envelope. */
export const MAX_MESSAGE_BYTES = 96 * 1024;
/** `sendBatch` takes at most 100 messages and 256 KB. */
export const MAX_BATCH_MESSAGES = 100;
export const MAX_BATCH_BYTES = 240 * 1024;

type Item = { checksum: string; raw: unknown } | { raw: unknown; rule: string; reasons: string[] };

/** Packs accepted and rejected events into messages that respect the queue's size limits. */
export function packMessages(
  source: string,
  receivedAt: string,
  accepted: { checksum: string; raw: unknown }[],
  rejected: { raw: unknown; rule: string; reasons: string[] }[],
  key?: string,
): { body: CdcMessage; bytes: number }[] {
  const messages: { body: CdcMessage; bytes: number }[] = [];
  const fresh = () => ({
    v: 1 as const,
    id: crypto.randomUUID(),
    source,
    ...(key ? { key } : {}),
    received_at: receivedAt,
    events: [],
    rejected: [],
  });
  let current: CdcMessage = fresh();
  let bytes = 200;
  const items: Item[] = [...accepted, ...rejected];
  for (const item of items) {
    const size = Buffer.byteLength(JSON.stringify(item)) + 1;
    if (bytes + size > MAX_MESSAGE_BYTES && current.events.length + current.rejected.length > 0) {
      messages.push({ body: current, bytes });
      current = fresh();
      bytes = 200;
    }
    if ("checksum" in item) current.events.push(item);
    else current.rejected.push(item);
    bytes += size;
  }
  if (current.events.length + current.rejected.length > 0) messages.push({ body: current, bytes });
  return messages;
}

/** Groups messages into `sendBatch` calls within the per-call limits. */
export function groupForSend<T extends { bytes: number }>(messages: T[]): T[][] {
  const groups: T[][] = [];
  let group: T[] = [];
  let bytes = 0;
  for (const message of messages) {
    if (
      group.length === MAX_BATCH_MESSAGES ||
      (group.length > 0 && bytes + message.bytes > MAX_BATCH_BYTES)
    ) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(message);
    bytes += message.bytes;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}
