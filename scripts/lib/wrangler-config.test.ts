/**
 * The queue topology of wrangler.toml, locally and in production: every queue a consumer
 * dead-letters into has a consumer of its own (a dead letter nobody reads is a silent loss), and
 * every queue the Worker produces to is consumed.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { z } from "zod";

const queues = z.object({
  producers: z.array(z.object({ queue: z.string() })).default([]),
  consumers: z.array(z.object({ queue: z.string(), dead_letter_queue: z.string().optional() })).default([]),
});
const config = z.object({
  queues,
  env: z.record(z.string(), z.object({ queues })),
});

const wrangler = config.parse(parse(readFileSync(join(import.meta.dirname, "../../wrangler.toml"), "utf8")));

describe.each([
  ["local", wrangler.queues],
  ["production", wrangler.env.production!.queues],
])("wrangler.toml queues (%s)", (_, q) => {
  const consumed = new Set(q.consumers.map((c) => c.queue));

  it("consume every dead-letter queue", () => {
    const dead = q.consumers.flatMap((c) => (c.dead_letter_queue ? [c.dead_letter_queue] : []));
    expect(dead.length).toBeGreaterThan(0);
    for (const queue of dead) expect(consumed, `no consumer for ${queue}`).toContain(queue);
  });

  it("consume every queue the Worker produces to, with a dead-letter queue", () => {
    for (const { queue } of q.producers) {
      if (queue.endsWith("-dlq")) continue;
      const consumer = q.consumers.find((c) => c.queue === queue);
      expect(consumer?.dead_letter_queue, `${queue} has no consumer with a dead-letter queue`).toBeTruthy();
    }
  });
});
