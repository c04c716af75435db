/** The dead-letter queue's consumer: messages that failed every retry are recorded, not lost. */
import { z } from "zod";
import { transaction, withDb } from "../db/client.ts";
import { cdcMessage } from "./message.ts";
import { insertDeadLetters, insertReceipts } from "./store/bronze.ts";
import { eventsIn } from "./unpack.ts";

/** How a message that failed its last attempt reaches the dead-letter queue with its error. */
export const deadLetterEnvelope = z.object({
  dead_letter: z.object({
    queue: z.string(),
    message_id: z.string(),
    attempts: z.number().int(),
    error: z.string(),
  }),
  body: z.unknown(),
});

/** The dead-letter queue's consumer: messages that failed every retry are recorded, not lost. */
export async function recordDeadLetters(env: Env, batch: MessageBatch<unknown>): Promise<void> {
  const rows = batch.messages.map((m) => {
    const wrapped = deadLetterEnvelope.safeParse(m.body);
    const body = wrapped.success ? wrapped.data.body : m.body;
    const parsed = cdcMessage.safeParse(body);
    return {
      queue: wrapped.success ? wrapped.data.dead_letter.queue : batch.queue.replace(/-dlq$/, ""),
      messageId: wrapped.success ? wrapped.data.dead_letter.message_id : m.id,
      source: parsed.success ? parsed.data.source : null,
      attempts: wrapped.success ? wrapped.data.dead_letter.attempts : m.attempts,
      body,
      error: wrapped.success ? wrapped.data.dead_letter.error : null,
      events: eventsIn(body),
    };
  });
  await withDb(env, (db) =>
    transaction(db, async (tx) => {
      // A message accepted while the database was down has its receipt written here at the latest.
      await insertReceipts(
        tx,
        rows.flatMap((r) => {
          const parsed = cdcMessage.safeParse(r.body);
          if (!parsed.success) return [];
          return [
            {
              delivery: parsed.data.id ?? r.messageId,
              source: parsed.data.source,
              events: r.events,
              receivedAt: parsed.data.received_at,
            },
          ];
        }),
      );
      await insertDeadLetters(tx, rows);
    }),
  );
}
