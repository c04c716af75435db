/**
 * Two bulk requests in flight at once, as the bulk client sends them, where one carries new
 * customers and the other sales of the same customers (a history posts each customer just before
 * its sales, often in the next request): both land in their planned transactions — none refused by
 * the database, none split — and the KPIs are exact.
 *
 * Against a Postgres server: PGlite serves every connection from one backend, so two requests'
 * transactions cannot be in flight together there.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { customerEvent, saleEvent } from "../../test/support/events.ts";
import { TEST_ADMIN_TOKEN } from "../../test/support/tokens.ts";
import { withDb } from "../db/client.ts";
import { uniqueRegion, viewer } from "../kpi/testing/history.ts";
import { createSource, eventually, query, unusedPastDay } from "../test-support.ts";
import { signedHeaders } from "./signature.ts";

const CUSTOMERS = 1_200;
/** Sales in the customers' request (of its first customers). */
const FIRST_SALES = 900;

async function postBulk(source: { name: string; secret: string }, events: unknown[]) {
  const body = `${events.map((e) => JSON.stringify(e)).join("\n")}\n`;
  const response = await exports.default.fetch(`http://pulse.test/api/v1/cdc/${source.name}/bulk`, {
    method: "POST",
    headers: { "content-type": "application/x-ndjson", ...signedHeaders(source.secret, body) },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, number> };
}

/** Sessions of this database waiting for a lock while running a statement that matches `pattern`. */
async function waitingOn(pattern: string): Promise<number> {
  const [row] = await query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE $1`,
    [pattern],
  );
  return row!.n;
}

const onServer = async () => !(await query<{ v: string }>("SELECT version() AS v"))[0]!.v.includes("PGlite");

describe("bulk requests in flight together (Postgres server)", () => {
  it("store one request's new customers and the other's sales of them, unsplit, with exact KPIs", async (context) => {
    if (!(await onServer())) context.skip();
    // A source each, so each request's receipts are its own.
    const customerSource = await createSource("bulkcust");
    const salesSource = await createSource("bulksales");
    const region = uniqueRegion();
    const segment = `seg-${crypto.randomUUID().slice(0, 8)}`;
    const day = await unusedPastDay();
    const at = `${day}T10:00:00.000Z`;
    const ids = Array.from({ length: CUSTOMERS }, () => `cust-${crypto.randomUUID()}`);
    const sale = (customerId: string, minute: number) =>
      saleEvent({
        customerId,
        productId: `prod-${region}`,
        region,
        saleTimestamp: `${day}T12:${String(minute).padStart(2, "0")}:00.000Z`,
        unitPrice: 10,
        quantity: 1,
        unitCost: 4,
      });
    // Each over the size a request is split at (dimensions first, then the sales in parts).
    const first = [
      ...ids.map((id) => customerEvent(id, segment, at)),
      ...ids.slice(0, FIRST_SALES).map((id) => sale(id, 1)),
    ];
    const second = [...ids.map((id) => sale(id, 2)), ...ids.map((id) => sale(id, 3))];

    // The moment the two requests meet, staged: the sales' request has created the customers as
    // inferred members and not committed yet (held before the rows every batch shares), when the
    // customers' request comes to write the same customers' first versions.
    const { first_, second_ } = await withDb(env, async (hold) => {
      await hold.query("BEGIN");
      try {
        await hold.query("SELECT pg_advisory_xact_lock(hashtext('kpi_day_slice'))");
        const sales = postBulk(salesSource, second);
        await eventually(
          () => waitingOn("%hashtext('kpi_day_slice')%"),
          (n) => n > 0,
          30_000,
        );
        const customers = postBulk(customerSource, first);
        // The customers' request waits too: for the customers' index entries the sales hold, or
        // for its turn.
        await eventually(
          async () => (await waitingOn("INSERT INTO dim_customer%")) + (await waitingOn("%bulk_turn%")),
          (n) => n > 0,
          30_000,
        );
        await hold.query("COMMIT");
        return { second_: await sales, first_: await customers };
      } finally {
        await hold.query("ROLLBACK").catch(() => undefined);
      }
    });
    for (const [answer, events] of [
      [first_, first],
      [second_, second],
    ] as const) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(answer.body).toMatchObject({
        accepted: events.length,
        processed: events.length,
        quarantined: 0,
      });
    }
    // Each transaction commits its own receipt: the customers' request is its dimensions (the
    // 1,200 customers together), then its sales in two parts. Had the database refused its
    // dimensions, nothing of them would have committed and its 2,100 events would have been split
    // in halves, each committed on its own (poison isolation): no transaction of the 1,200 alone.
    const receipts = await query<{ events: number }>(
      "SELECT events FROM ingest_receipts WHERE source = $1 ORDER BY events DESC",
      [customerSource.name],
    );
    expect(receipts.map((r) => r.events)[0]).toBe(CUSTOMERS);
    expect(receipts).toHaveLength(3);

    const finish = await exports.default.fetch(
      `http://pulse.test/api/v1/cdc/${salesSource.name}/bulk/finish`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      },
    );
    expect(finish.status).toBe(200);
    const sales = FIRST_SALES + 2 * CUSTOMERS;
    const wanted = {
      orders: sales,
      revenue: sales * 10,
      unique_customers: CUSTOMERS,
      new_customers: CUSTOMERS,
    };
    const read = async () => {
      const response = await viewer(
        `/api/v1/query?metrics=orders,revenue,unique_customers,new_customers&grain=day&from=${day}&to=${day}&region=${region}`,
        { "cache-control": "no-cache" },
      );
      const body = (await response.json()) as { columns: { name: string }[]; data: unknown[][] };
      return Object.fromEntries(body.columns.map((c, j) => [c.name, body.data[j]?.[0]]));
    };
    // The live room drains what the load left dirty (unique and new customers) on its own.
    expect(
      await eventually(
        read,
        (row) => row.unique_customers === CUSTOMERS && row.new_customers === CUSTOMERS,
        30_000,
      ),
    ).toMatchObject(wanted);
    // Every sale sits under its customer's segment, whichever request stored it first.
    const bySegment = await query<{ segment: string; n: number }>(
      `SELECT customer_segment AS segment, count(*)::int AS n FROM silver_sales_clean
        WHERE region = $1 AND NOT is_deleted GROUP BY 1`,
      [region],
    );
    expect(bySegment).toEqual([{ segment, n: sales }]);
  }, 120_000);
});
