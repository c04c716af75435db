import { describe, expect, it } from "vitest";
import { saleEvent } from "../../test/support/events.ts";
import {
  cdcMessage,
  groupForSend,
  MAX_BATCH_BYTES,
  MAX_BATCH_MESSAGES,
  MAX_MESSAGE_BYTES,
  packMessages,
} from "./message.ts";

describe("packMessages / groupForSend", () => {
  it("splits 2,000 events into messages and sendBatch calls within the queue's limits, losing none", () => {
    const accepted = Array.from({ length: 2_000 }, (_, i) => ({
      checksum: i.toString(16).padStart(64, "0"),
      raw: saleEvent(),
    }));
    const rejected = [{ raw: { bad: true }, rule: "invalid_envelope", reasons: ["event_type: required"] }];
    const messages = packMessages("demo", new Date().toISOString(), accepted, rejected);
    for (const m of messages) {
      expect(new TextEncoder().encode(JSON.stringify(m.body)).length).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
      expect(cdcMessage.safeParse(m.body).success).toBe(true);
    }
    expect(messages.flatMap((m) => m.body.events)).toEqual(accepted);
    expect(messages.flatMap((m) => m.body.rejected)).toEqual(rejected);
    const groups = groupForSend(messages);
    for (const g of groups) {
      expect(g.length).toBeLessThanOrEqual(MAX_BATCH_MESSAGES);
      expect(g.reduce((n, m) => n + m.bytes, 0)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
    }
    expect(groups.flat()).toEqual(messages);
  });
});
