/**
 * Several filters at once (region, segment, category) read the pipeline's daily combinations: after
 * a burst with updates, deletes, moved sales, stale and duplicate events, a customer changing
 * segment (SCD2) and a product changing category, every answer equals plain SQL over the live
 * sales in silver, written from the definitions — with no scheduled job and no explicit
 * recomputation (the live room drains the marks by itself).
 *
 * Regions, segments and categories are unique to this run, so no other test's sales share them.
 *
 * Long because the burst it loads and the plain SQL it compares with live here, beside the tests,
 * written from the definitions rather than shared with the code under test.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { type Db, withDb } from "../db/client.ts";
import { createSource, eventually, postSigned, query } from "../test-support.ts";
import { addDays } from "./calendar.ts";
import type { Params } from "./params.ts";
import { breakdownReport } from "./reports/breakdown.ts";
import { queryReport } from "./reports/query.ts";
import { type Report, reportContext } from "./reports/report.ts";
import { ALL_METRICS, type Columnar, random, randomFutureDay, rowsOf, viewer } from "./testing/history.ts";

const DAYS = 40;
const tag = crypto.randomUUID().slice(0, 6);
const REGIONS = [`cr1-${tag}`, `cr2-${tag}`];
const SEGMENTS = [`Gold-${tag}`, `Silver-${tag}`];
const CATEGORIES = [`Tools-${tag}`, `Games-${tag}`];
const CUSTOMERS = Array.from({ length: 14 }, (_, i) => `cc${i}-${tag}`);
// The last product is never described: its sales are in category "Unknown".
const PRODUCTS = Array.from({ length: 7 }, (_, i) => `cp${i}-${tag}`);

type Event = {
  event_type: string;
  entity: string;
  event_timestamp: string;
  payload: Record<string, unknown>;
};

async function get(path: string): Promise<Columnar> {
  const response = await viewer(path, { "cache-control": "no-cache" });
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json();
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
function close(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number")
    return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
  return a === b;
}

/** Each metric per day over the live sales passing `filters`, dense over `from`…`to`, from silver. */
async function expectedDays(filters: Record<string, string>, from: string, to: string) {
  const columns = { region: "s.region", segment: "s.customer_segment", category: "s.product_category" };
  const params: unknown[] = [from, to];
  const where = Object.entries(filters).map(([name, member]) => {
    params.push(member);
    return `${columns[name as keyof typeof columns]} = $${params.length}`;
  });
  return query<Record<string, unknown>>(
    `WITH live AS (
       SELECT s.*, s.quantity * s.unit_price AS gross,
              s.sale_date = (SELECT min(o.sale_date) FROM silver_sales_clean o
                              WHERE o.customer_id = s.customer_id AND NOT o.is_deleted) AS first
         FROM silver_sales_clean s WHERE NOT s.is_deleted AND ${where.join(" AND ")}),
     cal AS (SELECT g::date AS day FROM generate_series($1::date, $2::date, interval '1 day') AS g)
     SELECT to_char(c.day, 'YYYY-MM-DD') AS period,
            coalesce(sum(l.gross), 0)::float8 AS revenue,
            coalesce(sum(l.gross - l.discount), 0)::float8 AS net_revenue,
            coalesce(sum(l.quantity * coalesce(l.unit_cost, 0)), 0)::float8 AS cost_of_goods,
            coalesce(sum(l.gross - l.discount - l.quantity * coalesce(l.unit_cost, 0)), 0)::float8 AS gross_profit,
            (sum(l.gross - l.discount - l.quantity * coalesce(l.unit_cost, 0)) / nullif(sum(l.gross - l.discount), 0)
              * 100)::float8 AS profit_margin_pct,
            count(l.sale_id)::int AS orders, coalesce(sum(l.quantity), 0)::int AS quantity,
            count(DISTINCT l.customer_id)::int AS unique_customers,
            (sum(l.gross) / nullif(count(l.sale_id), 0))::float8 AS avg_order_value,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY l.gross) AS median_order_value,
            percentile_cont(0.9) WITHIN GROUP (ORDER BY l.gross) AS p90_order_value,
            count(DISTINCT l.customer_id) FILTER (WHERE l.first)::int AS new_customers
       FROM cal c LEFT JOIN live l ON l.sale_date = c.day GROUP BY c.day ORDER BY c.day`,
    params,
  );
}

function differences(
  actual: Record<string, unknown>[],
  wanted: Record<string, unknown>[],
  metrics: string[],
) {
  expect(actual.map((r) => r.period)).toEqual(wanted.map((r) => r.period));
  return actual.flatMap((row, i) =>
    metrics
      .filter((m) => !close(num(row[m]), num(wanted[i]![m])))
      .map((m) => `${row.period} ${m}: api ${row[m]}, silver ${wanted[i]![m]}`),
  );
}

/**
 * Three waves: customers and products; the sales; then their changes (every kind, with a late
 * sale and stale updates), so changes meet sales the pipeline already holds.
 */
function burstOf(start: string): { dimensions: Event[]; inserts: Event[]; changes: Event[] } {
  const rnd = random(20_261_203);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]) => xs[int(xs.length)]!;
  const day = (i: number) => addDays(start, i);
  const at = (i: number) =>
    `${day(i)}T${String(int(24)).padStart(2, "0")}:${String(int(60)).padStart(2, "0")}:00Z`;
  let clock = Date.parse(`${day(-5)}T00:00:00Z`);
  const eventTime = () => {
    clock += 1_000;
    return new Date(clock).toISOString();
  };
  const dimensions: Event[] = [
    ...CUSTOMERS.map((id, i) => ({
      event_type: "INSERT",
      entity: "customer",
      // Valid from before the first sale.
      event_timestamp: `${day(-10)}T00:00:00Z`,
      payload: { customer_id: id, customer_name: id, customer_segment: SEGMENTS[i % 2] },
    })),
    ...PRODUCTS.slice(0, -1).map((id, i) => ({
      event_type: "INSERT",
      entity: "product",
      event_timestamp: `${day(-10)}T00:00:00Z`,
      payload: { product_id: id, product_name: id, category: CATEGORIES[i % 2], unit_cost: 2 },
    })),
  ];
  let n = 0;
  const sale = (i: number): Event => ({
    event_type: "INSERT",
    entity: "sale",
    event_timestamp: eventTime(),
    payload: {
      sale_id: `cs${n++}-${tag}`,
      customer_id: pick(CUSTOMERS),
      product_id: pick(PRODUCTS),
      sale_timestamp: at(i),
      quantity: 1 + int(4),
      unit_price: pick([10, 19.99, 25, 25.5, 7.25, 100]),
      discount: rnd() < 0.3 ? 1.5 : 0,
      currency_code: "USD",
      region: pick(REGIONS),
      sales_rep_id: null,
    },
  });
  const inserts: Event[] = [];
  for (let i = 0; i < DAYS; i++) {
    if (rnd() < 0.1) continue;
    for (let k = 1 + int(9); k > 0; k--) inserts.push(sale(i));
  }
  const changes: Event[] = [];
  for (const e of inserts) {
    const r = rnd();
    const update = (payload: Record<string, unknown>) =>
      changes.push({
        ...e,
        event_type: "UPDATE",
        event_timestamp: eventTime(),
        payload: { ...e.payload, ...payload },
      });
    if (r < 0.1) update({ quantity: 1 + int(4), unit_price: pick([10, 25, 55.55]) });
    else if (r < 0.16) update({ sale_timestamp: at(int(DAYS)) });
    else if (r < 0.22) update({ region: pick(REGIONS) });
    else if (r < 0.28) update({ product_id: pick(PRODUCTS), customer_id: pick(CUSTOMERS) });
    else if (r < 0.35)
      changes.push({
        ...e,
        event_type: "DELETE",
        event_timestamp: eventTime(),
        payload: { sale_id: e.payload.sale_id },
      });
    else if (r < 0.4)
      // Stale: older than the insert, arriving late — it must lose.
      changes.push({
        ...e,
        event_type: "UPDATE",
        event_timestamp: `${day(-30)}T00:00:00Z`,
        payload: { ...e.payload, quantity: 99 },
      });
  }
  // A customer moves to the other segment from day 20 on (earlier sales keep the old one); a
  // product changes category (all its sales move).
  changes.push({
    event_type: "UPDATE",
    entity: "customer",
    event_timestamp: `${day(20)}T00:00:00Z`,
    payload: { customer_id: CUSTOMERS[0], customer_name: CUSTOMERS[0], customer_segment: SEGMENTS[1] },
  });
  changes.push({
    event_type: "UPDATE",
    entity: "product",
    event_timestamp: eventTime(),
    payload: { product_id: PRODUCTS[0], product_name: PRODUCTS[0], category: CATEGORIES[1], unit_cost: 3 },
  });
  // A late sale before the first day, and a tenth of everything again (duplicates), shuffled.
  const shuffled = (events: Event[]) => {
    const out = [...events, ...events.filter(() => rnd() < 0.1)];
    for (let i = out.length - 1; i > 0; i--) {
      const j = int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };
  return { dimensions, inserts: shuffled(inserts), changes: shuffled([...changes, sale(-3)]) };
}

/** Marks (slices or combinations) of this run's members still awaiting recomputation. */
async function pendingMarks(): Promise<number> {
  const [row] = await query<{ n: number }>(
    `SELECT (SELECT count(*) FROM kpi_combo_dirty WHERE region = ANY($1) OR segment = ANY($2) OR category = ANY($3))
          + (SELECT count(*) FROM kpi_dirty WHERE member = ANY($1) OR member = ANY($2) OR member = ANY($3)) AS n`,
    [REGIONS, SEGMENTS, CATEGORIES],
  );
  return Number(row!.n);
}

describe("several filters at once", () => {
  let start: string;
  const day = (i: number) => addDays(start, i);

  beforeAll(async () => {
    start = randomFutureDay();
    const waves = burstOf(start);
    const source = await createSource("combo");
    let sent = 0;
    for (const wave of [waves.dimensions, waves.inserts, waves.changes]) {
      const requests = wave === waves.dimensions ? 1 : 6;
      const size = Math.ceil(wave.length / requests);
      await Promise.all(
        Array.from({ length: requests }, async (_, k) => {
          const response = await postSigned(source, JSON.stringify(wave.slice(k * size, (k + 1) * size)));
          expect(response.status, await response.clone().text()).toBe(202);
        }),
      );
      // The wave is applied once bronze holds each of its events (duplicates once) as processed.
      sent += new Set(wave).size;
      const processed = await eventually(
        async () =>
          (
            await query<{ n: number }>(
              "SELECT count(*)::int AS n FROM bronze_sales_events WHERE source_system = $1 AND status = 'processed'",
              [source.name],
            )
          )[0]!.n,
        (n) => n >= sent,
        60_000,
      );
      expect(processed).toBe(sent);
    }
    // Nobody recomputes here: the live room drains slices, then combinations.
    expect(await eventually(pendingMarks, (n) => n === 0, 60_000)).toBe(0);
  }, 150_000);

  it.each([
    ["region + segment", { region: 0, segment: 1 }],
    ["region + category", { region: 1, category: 0 }],
    ["segment + category", { segment: 0, category: 1 }],
    ["region + segment + category", { region: 0, segment: 0, category: 0 }],
    ["region + segment + the Unknown category", { region: 1, segment: 1, category: -1 }],
  ] as const)("%s: every metric of every day equals silver", async (_, which) => {
    const filters: Record<string, string> = {};
    if ("region" in which) filters.region = REGIONS[which.region]!;
    if ("segment" in which) filters.segment = SEGMENTS[which.segment]!;
    if ("category" in which) filters.category = which.category < 0 ? "Unknown" : CATEGORIES[which.category]!;
    const from = day(-5);
    const to = day(DAYS + 2);
    const qs = new URLSearchParams({ ...filters, from, to, grain: "day", metrics: ALL_METRICS.join(",") });
    const body = await get(`/api/v1/query?${qs}`);
    expect(body.meta.source).toBe("combo");
    expect(body.freshness.pending).toEqual([]);
    const wanted = await expectedDays(filters, from, to);
    expect(wanted.filter((d) => Number(d.orders) > 0).length).toBeGreaterThan(5);
    expect(differences(rowsOf(body), wanted, ALL_METRICS)).toEqual([]);
  });

  it("answers months and /kpis/daily from the combinations, equal to silver", async () => {
    const filters = { region: REGIONS[0]!, category: CATEGORIES[1]! };
    const from = day(-5);
    const to = day(DAYS + 2);
    const additive = ["revenue", "net_revenue", "cost_of_goods", "orders", "quantity", "new_customers"];
    const months = await get(
      `/api/v1/query?${new URLSearchParams({ ...filters, from, to, grain: "month", metrics: additive.join(",") })}`,
    );
    expect(months.meta.source).toBe("combo");
    const days = await expectedDays(filters, from, to);
    const byMonth = new Map<string, Record<string, number>>();
    for (const d of days) {
      const month = `${String(d.period).slice(0, 7)}-01`;
      const sum = byMonth.get(month) ?? Object.fromEntries(additive.map((m) => [m, 0]));
      for (const m of additive) sum[m]! += Number(d[m]);
      byMonth.set(month, sum);
    }
    const got = rowsOf(months);
    expect(got.map((r) => r.period)).toEqual([...byMonth.keys()]);
    for (const row of got)
      for (const m of additive) expect(row[m]).toBeCloseTo(byMonth.get(String(row.period))![m]!, 6);

    const daily = await get(`/api/v1/kpis/daily?${new URLSearchParams({ ...filters, from: day(0), to })}`);
    expect(daily.meta.source).toBe("combo");
    const first = days.find((d) => Number(d.orders) > 0)!.period as string;
    expect(daily.meta.history_start).toBe(first);
    const wanted = days.filter((d) => String(d.period) >= day(0) && String(d.period) >= first);
    const rows = rowsOf(daily);
    expect(rows.map((r) => r.date)).toEqual(wanted.map((d) => d.period));
    rows.forEach((row, i) => {
      const w = wanted[i]!;
      expect([row.orders, row.unique_customers, row.total_quantity]).toEqual([
        w.orders,
        w.unique_customers,
        w.quantity,
      ]);
      expect(row.total_revenue).toBeCloseTo(Number(w.revenue), 6);
      expect(row.net_revenue).toBeCloseTo(Number(w.net_revenue), 6);
      expect(row.total_costs).toBeCloseTo(Number(w.cost_of_goods), 6);
      expect(close(row.median_order_value, num(w.median_order_value))).toBe(true);
      expect(close(row.p90_order_value, num(w.p90_order_value))).toBe(true);
    });
  });

  it("breaks a filtered metric down by another dimension from the combinations (a drill-down)", async () => {
    const from = day(-5);
    const to = day(DAYS + 2);
    const body = await get(
      `/api/v1/breakdown?${new URLSearchParams({ metric: "net_revenue", by: "category", region: REGIONS[1]!, segment: SEGMENTS[0]!, from, to, limit: "100" })}`,
    );
    expect(body.meta.source).toBe("combo");
    const wanted = await query<{ member: string; value: number }>(
      `SELECT product_category AS member, sum(quantity * unit_price - discount)::float8 AS value
         FROM silver_sales_clean WHERE NOT is_deleted AND region = $1 AND customer_segment = $2
          AND sale_date BETWEEN $3 AND $4 GROUP BY 1 ORDER BY 2 DESC, 1 DESC`,
      [REGIONS[1], SEGMENTS[0], from, to],
    );
    expect(wanted.length).toBeGreaterThan(1);
    const rows = rowsOf(body);
    expect(rows.map((r) => r.member)).toEqual(wanted.map((w) => w.member));
    rows.forEach((r, i) => {
      expect(r.net_revenue).toBeCloseTo(wanted[i]!.value, 6);
    });

    // Distinct customers on one day, by segment within a region.
    const busy = (await expectedDays({ region: REGIONS[0]! }, day(0), day(DAYS))).find(
      (d) => Number(d.orders) > 4,
    )!;
    const one = String(busy.period);
    const segments = await get(
      `/api/v1/breakdown?${new URLSearchParams({ metric: "unique_customers", by: "segment", region: REGIONS[0]!, from: one, to: one })}`,
    );
    expect(segments.meta.source).toBe("combo");
    const customers = await query<{ member: string; value: number }>(
      `SELECT customer_segment AS member, count(DISTINCT customer_id)::int AS value FROM silver_sales_clean
        WHERE NOT is_deleted AND region = $1 AND sale_date = $2 GROUP BY 1 ORDER BY 1`,
      [REGIONS[0], one],
    );
    expect(
      rowsOf(segments)
        .map((r) => ({ member: r.member, value: r.unique_customers }))
        .sort((a, b) => String(a.member).localeCompare(String(b.member))),
    ).toEqual([...customers].sort((a, b) => a.member.localeCompare(b.member)));
  });

  it("serves a combination awaiting its recomputation as pending (null), never as 0", async () => {
    const busy = (await expectedDays({ region: REGIONS[0]!, segment: SEGMENTS[0]! }, day(0), day(DAYS))).find(
      (d) => Number(d.orders) > 0,
    )!;
    const one = String(busy.period);
    const ctx = reportContext(env);
    const ask = async <P>(tx: Db, report: Report<P>, q: Params) => {
      const request = report.parse(q, ctx);
      const version = await report.version(tx, request);
      return { version, table: await report.run(tx, request, version, ctx) };
    };
    const params = {
      metrics: "orders,revenue,unique_customers,median_order_value,new_customers",
      grain: "day",
      from: one,
      to: one,
      region: REGIONS[0]!,
      segment: SEGMENTS[0]!,
    };
    await withDb(env, async (tx) => {
      await tx.query("BEGIN");
      try {
        const before = await ask(tx, queryReport, params);
        expect(rowsOf(before.table)[0]).toMatchObject({
          orders: busy.orders,
          unique_customers: busy.unique_customers,
        });
        await tx.query(
          "INSERT INTO kpi_combo_dirty (dims, region, segment, category, day) VALUES ('region+segment', $1, $2, '', $3)",
          [REGIONS[0], SEGMENTS[0], one],
        );
        const pending = await ask(tx, queryReport, params);
        expect(rowsOf(pending.table)[0]).toMatchObject({
          orders: busy.orders,
          revenue: busy.revenue,
          unique_customers: null,
          median_order_value: null,
          new_customers: null,
        });
        expect(pending.version.freshness.pending).toEqual([
          { dim: "region+segment", member: `${REGIONS[0]}+${SEGMENTS[0]}`, day: one },
        ]);
        expect(pending.version.key).not.toBe(before.version.key);
        const breakdown = await ask(tx, breakdownReport, {
          metric: "unique_customers",
          by: "segment",
          region: REGIONS[0]!,
          from: one,
          to: one,
        });
        expect(rowsOf(breakdown.table).find((r) => r.member === SEGMENTS[0])).toMatchObject({
          unique_customers: null,
        });
      } finally {
        await tx.query("ROLLBACK");
      }
    });
  });
});
