import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../index.ts";

describe("the scheduled job", () => {
  it("runs all its steps against the database", async () => {
    const controller = createScheduledController({ scheduledTime: new Date(), cron: "*/5 * * * *" });
    await expect(worker.scheduled(controller, env)).resolves.toBeUndefined();
  }, 60_000);

  it("tries every step even when each fails, and reports which", async () => {
    const down = { ...env, DATABASE_URL: "postgres://postgres@127.0.0.1:1/postgres" };
    const controller = createScheduledController({ scheduledTime: new Date(), cron: "*/5 * * * *" });
    await expect(worker.scheduled(controller, down)).rejects.toThrow(
      "scheduled steps failed: partitions, dirty slices, live minutes, revoked sessions, expired source secrets, receipts, live room, customer analytics, briefings",
    );
  });
});
