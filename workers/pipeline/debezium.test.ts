/**
 * Debezium sources end to end inside workerd: the real fixture, a generated order stream with
 * updates, deletes, both decimal modes and both wrappers, delivered out of order — silver and gold
 * must equal a recomputation from the events written independently here.
 */
import { describe, expect, it } from "vitest";
// Debezium's own tutorial output (Postgres connector, inventory.products), copied from its docs.
import fixture from "../../test/fixtures/debezium/products-postgres.ndjson?raw";
import { ORDERS_MAPPING, type OrderRow, orderChange, withSchema } from "../../test/support/debezium.ts";
import { admin, eventually, postSigned, query, unusedPastDay } from "../test-support.ts";

async function createSource(prefix: string) {
  const name = `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
  const response = await admin(`/api/v1/sources/${name}`, { method: "PUT" });
  const { secret } = (await response.json()) as { secret: string };
  return { name, secret };
}

async function counts(name: string) {
  return ((await (await admin(`/api/v1/sources/${name}`)).json()) as { counts: Record<string, number> })
    .counts;
}

function shuffle<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = p * (sorted.length - 1);
  const low = Math.floor(rank);
  return sorted[low]! + (sorted[Math.ceil(rank)]! - sorted[low]!) * (rank - low);
}

describe("Debezium sources", () => {
  it("keeps the fixture's events as unmapped until a mapping exists, then replays them into silver", async () => {
    const source = await createSource("inventory");
    const response = await postSigned(source, fixture);
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ accepted: 16, rejected: 0 });
    await eventually(
      () => counts(source.name),
      (c) => c.unmapped === 16,
    );

    const mapped = await admin(`/api/v1/sources/${source.name}/mappings/inventory.products`, {
      method: "PUT",
      body: JSON.stringify({
        entity: "product",
        columns: { id: "product_id", name: "product_name" },
        defaults: { category: "Hardware" },
      }),
    });
    expect(mapped.status).toBe(200);
    const replay = await admin(`/api/v1/sources/${source.name}/replay`, { method: "POST" });
    expect(await replay.json()).toMatchObject({ replayed: 16, processed: 16, unmapped: 0 });
    expect(await counts(source.name)).toMatchObject({ unmapped: 0, accepted: 16 });

    // Independent recomputation: per id, the event with the latest commit time (then LSN) wins.
    type Fixture = {
      op: string;
      before: { id: number } | null;
      after: { id: number; name: string } | null;
      source: { ts_ms: number; lsn: number };
    };
    const latest = new Map<number, Fixture>();
    for (const line of fixture.trim().split("\n")) {
      const e = JSON.parse(line) as Fixture;
      const id = (e.after ?? e.before)!.id;
      const held = latest.get(id);
      if (
        !held ||
        e.source.ts_ms > held.source.ts_ms ||
        (e.source.ts_ms === held.source.ts_ms && e.source.lsn >= held.source.lsn)
      ) {
        latest.set(id, e);
      }
    }
    const expected = [...latest.entries()]
      .map(([id, e]) => ({
        product_id: String(id),
        is_deleted: e.op === "d",
        product_name: e.op === "d" ? expect.anything() : e.after!.name,
      }))
      .sort((a, b) => a.product_id.localeCompare(b.product_id));
    const silver = await query(
      "SELECT product_id, is_deleted, product_name FROM silver_products WHERE product_id = ANY($1::text[]) ORDER BY product_id",
      [expected.map((e) => e.product_id)],
    );
    expect(silver).toEqual(expected);
    const dims = await query<{ product_id: string; category: string }>(
      "SELECT product_id, category FROM dim_product WHERE product_id = '110'",
    );
    expect(dims).toEqual([{ product_id: "110", category: "Hardware" }]);
  });

  it("turns an order stream into silver and gold equal to a recomputation, whatever the delivery order", async () => {
    const source = await createSource("shop");
    await admin(`/api/v1/sources/${source.name}/mappings/public.orders`, {
      method: "PUT",
      body: JSON.stringify(ORDERS_MAPPING),
    });
    const days = [await unusedPastDay(), await unusedPastDay()];
    const micros = (day: string, hour: number) =>
      Date.parse(`${day}T${String(hour).padStart(2, "0")}:15:00Z`) * 1000;
    const orderBase = Math.floor(Math.random() * 1e9);
    let clock = Date.UTC(2031, 0, 1);
    const changes: ReturnType<typeof orderChange>[] = [];
    for (let i = 0; i < 30; i++) {
      let row: OrderRow = {
        order_id: orderBase + i,
        customer: `cust-${orderBase}-${i % 7}`,
        product: `prod-${i % 4}`,
        qty: 1 + (i % 3),
        amount: i % 2 === 0 ? `${(10 + i).toFixed(2)}` : 10.5 + i,
        created: micros(days[i % 2]!, 9 + (i % 8)),
        region: ["EMEA", "NA", "APAC"][i % 3]!,
        cur: "USD",
      };
      clock += 1000;
      changes.push(orderChange("c", { after: row }, clock));
      if (i % 4 === 0) {
        const next = { ...row, qty: row.qty + 2, created: micros(days[(i + 1) % 2]!, 11) };
        clock += 1000;
        changes.push(orderChange("u", { before: row, after: next }, clock));
        row = next;
      }
      if (i % 5 === 0) {
        clock += 1000;
        changes.push(orderChange("d", { before: row }, clock));
      }
    }
    // Debezium Server's HTTP sink sends arrays; the Kafka Connect JSON converter wraps each event.
    const delivery = shuffle(changes);
    for (let i = 0; i < delivery.length; i += 6) {
      const chunk = delivery.slice(i, i + 6);
      const body =
        i % 12 === 0 ? JSON.stringify(chunk) : chunk.map((e) => JSON.stringify(withSchema(e))).join("\n");
      const response = await postSigned(source, body);
      expect(response.status).toBe(202);
    }

    // The recomputation: latest commit time per order; deletes drop it; group by UTC day.
    const final = new Map<number, ReturnType<typeof orderChange>>();
    for (const c of changes) {
      const id = (c.after ?? c.before)!.order_id;
      const held = final.get(id);
      if (!held || c.source.ts_ms > held.source.ts_ms) final.set(id, c);
    }
    const live = [...final.values()].filter((c) => c.op !== "d").map((c) => c.after!);
    const expected = days
      .filter((d, i) => days.indexOf(d) === i)
      .sort()
      .map((day) => {
        const sales = live.filter((r) => new Date(r.created / 1000).toISOString().startsWith(day));
        const amounts = sales.map((r) => r.qty * Number(r.amount));
        const cents = sales.reduce((n, r) => n + Math.round(r.qty * Number(r.amount) * 100), 0);
        return {
          day,
          orders: sales.length,
          revenue: (cents / 100).toFixed(2),
          unique_customers: new Set(sales.map((r) => r.customer)).size,
          median: percentile(amounts, 0.5),
          p90: percentile(amounts, 0.9),
        };
      });
    // One statement, so the rows and "nothing left to recompute" come from the same snapshot.
    const settled = async () => {
      const rows = await query<{
        day: string;
        orders: number;
        revenue: string;
        unique_customers: number;
        median: string | null;
        p90: string | null;
        dirty: number;
      }>(
        `SELECT day::text, orders, revenue::text, unique_customers, median_order_value::float8 AS median,
                p90_order_value::float8 AS p90,
                (SELECT count(*)::int FROM kpi_dirty WHERE day = ANY($1::date[])) AS dirty
           FROM kpi_day_slice WHERE dim = 'all' AND day = ANY($1::date[]) ORDER BY day`,
        [days],
      );
      // Additive measures commit with the batch; unique customers and percentiles right after it.
      return rows.some((r) => r.dirty > 0) ? [] : rows.map(({ dirty, ...rest }) => rest);
    };
    const slices = await eventually(
      settled,
      (rows) => JSON.stringify(rows.map((r) => r.orders)) === JSON.stringify(expected.map((e) => e.orders)),
    );
    expect(slices.map(({ median, p90, ...rest }) => rest)).toEqual(
      expected.map(({ median, p90, ...rest }) => rest),
    );
    slices.forEach((row, i) => {
      expect(Number(row.median)).toBeCloseTo(expected[i]!.median!, 6);
      expect(Number(row.p90)).toBeCloseTo(expected[i]!.p90!, 6);
    });

    // Gold agrees with the slices: the fact rows of those days add up to the same totals.
    const facts = await query<{ day: string; orders: number; revenue: string }>(
      `SELECT t.date::text AS day, sum(f.record_count)::int AS orders, sum(f.gross_revenue)::text AS revenue
         FROM fact_sales_summary f JOIN dim_time t USING (time_key)
        WHERE t.date = ANY($1::date[]) GROUP BY t.date ORDER BY t.date`,
      [days],
    );
    expect(facts).toEqual(
      expected.filter((e) => e.orders > 0).map((e) => ({ day: e.day, orders: e.orders, revenue: e.revenue })),
    );
  });

  it("maps a customers table, opening a new customer version when the segment changes", async () => {
    const source = await createSource("crm");
    await admin(`/api/v1/sources/${source.name}/mappings/public.customers`, {
      method: "PUT",
      body: JSON.stringify({
        entity: "customer",
        columns: {
          id: "customer_id",
          name: "customer_name",
          tier: "customer_segment",
          area: "geographic_region",
          since: "acquisition_date",
        },
      }),
    });
    const id = Math.floor(Math.random() * 1e9);
    const v1 = { id, name: "Acme", tier: "SMB", area: "EMEA", since: 19_000 };
    const v2 = { ...v1, tier: "Enterprise" };
    const v3 = { ...v2, name: "Acme Corp" };
    const at = Date.UTC(2026, 0, 1);
    const events = [
      orderChange("c", { after: v1 as never }, at, "customers"),
      orderChange("u", { before: v1 as never, after: v2 as never }, at + 60_000, "customers"),
      orderChange("u", { before: v2 as never, after: v3 as never }, at + 120_000, "customers"),
    ];
    // Out of order, the rename first: the segment change still opens exactly one new version.
    await postSigned(source, JSON.stringify([events[2], events[0], events[1]]));
    const versions = await eventually(
      () =>
        query<{
          customer_name: string;
          customer_segment: string;
          is_current: boolean;
          acquisition_date: string;
        }>(
          `SELECT customer_name, customer_segment, is_current, acquisition_date::text FROM dim_customer
            WHERE customer_id = $1 ORDER BY effective_from`,
          [String(id)],
        ),
      (r) => r.length > 0,
    );
    expect(versions).toEqual([
      {
        customer_name: "Acme Corp",
        customer_segment: "Enterprise",
        is_current: true,
        acquisition_date: "2022-01-08",
      },
    ]);
    expect(
      await query("SELECT customer_segment FROM silver_customers WHERE customer_id = $1", [String(id)]),
    ).toEqual([{ customer_segment: "Enterprise" }]);
  });

  it("quarantines a delete without a key, saying what to change on the source", async () => {
    const source = await createSource("nokey");
    const event = orderChange("d", { before: null }, Date.now());
    const response = await postSigned(source, JSON.stringify(event));
    expect(response.status).toBe(422);
    const body = (await response.json()) as { error: { details: { rule: string; reasons: string[] }[] } };
    expect(body.error.details[0]).toMatchObject({ rule: "delete_without_key" });
    expect(body.error.details[0]!.reasons[0]).toMatch(/REPLICA IDENTITY FULL/);
    const rows = await eventually(
      () =>
        query<{ rule: string; reason: string }>(
          "SELECT rule, reason FROM quarantine WHERE source_system = $1",
          [source.name],
        ),
      (r) => r.length > 0,
    );
    expect(rows[0]).toMatchObject({ rule: "delete_without_key" });
  });

  it("quarantines a sale in a currency without an exchange rate, and replays it once a rate exists", async () => {
    const source = await createSource("fx");
    await admin(`/api/v1/sources/${source.name}/mappings/public.orders`, {
      method: "PUT",
      body: JSON.stringify(ORDERS_MAPPING),
    });
    const day = await unusedPastDay();
    const row: OrderRow = {
      order_id: Math.floor(Math.random() * 1e9),
      customer: "c-fx",
      product: "p-fx",
      qty: 2,
      amount: "50.00",
      created: Date.parse(`${day}T10:00:00Z`) * 1000,
      region: "EMEA",
      cur: "XTS",
    };
    await postSigned(source, JSON.stringify(orderChange("c", { after: row }, Date.now())));
    const rows = await eventually(
      () => query<{ rule: string }>("SELECT rule FROM quarantine WHERE source_system = $1", [source.name]),
      (r) => r.length > 0,
    );
    expect(rows).toEqual([{ rule: "unknown_currency" }]);
    await query(
      "INSERT INTO exchange_rates (currency_code, rate_to_reporting) VALUES ('XTS', 1.5) ON CONFLICT DO NOTHING",
    );
    const replay = await admin(`/api/v1/sources/${source.name}/replay?status=quarantined`, {
      method: "POST",
    });
    expect(await replay.json()).toMatchObject({ replayed: 1, processed: 1 });
    expect(
      await query("SELECT revenue::text FROM kpi_day_slice WHERE dim = 'all' AND day = $1", [day]),
    ).toEqual([{ revenue: "150.00" }]);
    expect(await counts(source.name)).toMatchObject({ quarantined: 0 });
  });
});
