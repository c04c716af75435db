import { fileURLToPath } from "node:url";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";
import { TEST_ADMIN_TOKEN, TEST_SECRET_KEY, TEST_VIEWER_TOKEN } from "./test/support/tokens.ts";

/** The Workers runtime the `workers` and `measure` projects run in. */
function workersPool() {
  return cloudflareTest(({ inject }) => ({
    wrangler: { configPath: "./wrangler.toml" },
    miniflare: {
      bindings: {
        DATABASE_URL: inject("databaseUrl"),
        PG_WS_PROXY: inject("pgProxy"),
        VIEWER_TOKEN: TEST_VIEWER_TOKEN,
        ADMIN_TOKEN: TEST_ADMIN_TOKEN,
        SECRET_KEY: TEST_SECRET_KEY,
        // Sharded, so the tests cover the root → shard forwarding and reconciliation.
        LIVE_SHARDS: "2",
        // Alert deliveries go to a real local receiver; retries start after 1 s.
        ALERT_RECEIVER_URL: inject("alertReceiver"),
        ALERT_RETRY_BASE_SECONDS: "1",
        // The ledger tests compact receipts seconds old (the scheduled job: 8 days old), so the
        // webhook's own write of them must be done first: a short window keeps it well ahead.
        RECEIPT_FLUSH_MS: "25",
      },
      // Small limits, so the rate-limit tests reach them (their requests carry an IP or a
      // source of their own; other tests send neither that many nor an IP).
      ratelimits: {
        API_IP_LIMIT: { namespace_id: "1001", simple: { limit: 50, period: 10 } },
        WEBHOOK_SOURCE_LIMIT: { namespace_id: "1002", simple: { limit: 50, period: 10 } },
      },
    },
  }));
}

const DISCOUNT_LIST = fileURLToPath(
  new URL("./workers/kpi/testing/measure-list-with-discount.ts", import.meta.url),
);

/** Resolves the registry's list to the test build's (which itself imports the real one). */
const withDiscountMeasure: Plugin = {
  name: "measure-list-with-discount",
  enforce: "pre",
  resolveId(source, importer) {
    // Only the registry's own import is swapped; the test build's list imports the real one as `../`.
    if (source !== "./measure-list.ts" || !importer?.includes("/kpi/measures.ts")) return null;
    return DISCOUNT_LIST;
  },
};

export default defineConfig({
  test: {
    // One Postgres (PGlite, or a server when TEST_DATABASE_URL is set) for the whole run.
    globalSetup: ["./test/setup/database.ts", "./workers/alerts/testing/receiver-setup.ts"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["workers/**/*.unit.test.ts", "scripts/**/*.test.ts", "web/src/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        plugins: [workersPool()],
        test: {
          name: "workers",
          include: ["workers/**/*.test.ts"],
          exclude: ["workers/**/*.unit.test.ts", "workers/**/*.measure.test.ts"],
          // Each test makes real database and Durable Object round trips; on a loaded 2-core
          // machine the first request of a file alone can take seconds. Timeouts guard against
          // hangs, not speed (the benches measure that).
          testTimeout: 20_000,
        },
      },
      {
        // A test build whose measure registry has one more entry (see
        // workers/kpi/testing/measure-list-with-discount.ts): adding a measure flows end to end.
        plugins: [withDiscountMeasure, workersPool()],
        test: {
          name: "measure",
          include: ["workers/**/*.measure.test.ts"],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts", "test/fault/**/*.test.ts"],
          environment: "node",
          // Black-box suites start whole stacks and share "today"; run them one after another.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // A browser on a loaded 2-core machine can take seconds to render what a poll waits
          // for; vitest's 1 s default made unrelated load fail tests. Guards hangs, not speed.
          expect: { poll: { timeout: 10_000 } },
        },
      },
    ],
  },
});
