/**
 * Every KPI exact after a burst: the demo company's history (updates, deletes, late events; days
 * of it at once) posted through the webhook as fast as the stack takes it, then the time from the
 * last batch committed to the moment no slice awaits recomputation — distinct counts, new
 * customers and percentiles exact — with no scheduled job running. At the end every slice of every
 * day is checked against an independent computation from silver (mismatches must be 0).
 *
 * Sizes: 50,000 events (target ≤ 5 s) and 500,000 (the figure; `--quick` or BENCH_EXACT_LARGE=0
 * skips it), on the machine's Postgres server when one answers and on the embedded PGlite
 * (BENCH_EXACT_DATABASES=server,pglite; the 500,000 run on the server only).
 */
import { historyEvents } from "../scripts/demo/history.ts";
import { runtimeUrl } from "./lib/cpu.ts";
import { type Row, report } from "./lib/report.ts";
import { type BenchStack, startBenchStack } from "./lib/stack.ts";

const SMALL = Number(process.env.BENCH_EXACT_EVENTS ?? 50_000);
const LARGE = Number(process.env.BENCH_EXACT_LARGE ?? 500_000);
const DATABASES = (process.env.BENCH_EXACT_DATABASES ?? "server,pglite").split(",");

async function scalar(stack: BenchStack, sql: string): Promise<number> {
  const r = await stack.db.query<{ n: string }>(sql);
  return Number(r.rows[0]?.n ?? 0);
}

const processed = (stack: BenchStack) =>
  scalar(stack, "SELECT coalesce(sum(processed + duplicates), 0) AS n FROM source_stats");
const dirty = (stack: BenchStack) => scalar(stack, "SELECT count(*) AS n FROM kpi_dirty");

/**
 * Slices whose non-additive measures differ from a computation straight from silver (first days
 * from silver too, not from `customer_first_sale`), and the number of slices compared.
 */
async function mismatches(stack: BenchStack): Promise<{ wrong: number; compared: number }> {
  const r = await stack.db.query<{ wrong: string; compared: string }>(`
    WITH live AS (SELECT * FROM silver_sales_clean WHERE NOT is_deleted),
    firsts AS (SELECT customer_id, min(sale_date) AS first_day FROM live GROUP BY customer_id),
    s AS (
      SELECT l.sale_date AS day, l.customer_id, l.quantity * l.unit_price AS amount, l.region, l.customer_segment,
             l.product_category, coalesce(l.sales_rep_id, '') AS rep, l.sale_date = f.first_day AS is_first
        FROM live l JOIN firsts f USING (customer_id)),
    want AS (
      SELECT m.dim, m.member, s.day, count(DISTINCT s.customer_id) AS u,
             count(DISTINCT s.customer_id) FILTER (WHERE s.is_first) AS n,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY s.amount) AS median,
             percentile_cont(0.9) WITHIN GROUP (ORDER BY s.amount) AS p90
        FROM s CROSS JOIN LATERAL (VALUES ('all', ''), ('region', s.region), ('segment', s.customer_segment),
                                          ('category', s.product_category), ('sales_rep', s.rep)) AS m(dim, member)
       GROUP BY 1, 2, 3)
    SELECT count(*) FILTER (WHERE w.u IS NULL AND k.unique_customers <> 0
                              OR k.dim IS NULL
                              OR w.u <> k.unique_customers OR w.n <> k.new_customers
                              OR abs(w.median - k.median_order_value::float8) > 0.005
                              OR abs(w.p90 - k.p90_order_value::float8) > 0.005) AS wrong,
           count(*) AS compared
      FROM want w FULL JOIN kpi_day_slice k USING (dim, member, day)`);
  return { wrong: Number(r.rows[0]?.wrong ?? 0), compared: Number(r.rows[0]?.compared ?? 0) };
}

/** The demo history as webhook bodies of 1,000 events, days ending at `until`. */
function bodies(count: number, seed: number, until: Date): { bodies: string[]; days: number } {
  const days = Math.max(1, Math.ceil(count / 1_400));
  const lines: string[] = [];
  for (const event of historyEvents({ days, perDay: count / days, seed, until })) {
    lines.push(JSON.stringify(event));
    if (lines.length >= count) break;
  }
  const out: string[] = [];
  for (let i = 0; i < lines.length; i += 1_000) out.push(lines.slice(i, i + 1_000).join("\n"));
  return { bodies: out, days };
}

async function postAll(stack: BenchStack, base: string, all: string[], inFlight = 4): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < all.length) {
      const body = all[next++]!;
      const response = await stack.post(body, base);
      if (response.status !== 202)
        throw new Error(`webhook answered ${response.status}: ${await response.text()}`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

interface Run {
  events: number;
  days: number;
  ingestSeconds: number;
  /** Last batch committed → nothing dirty. */
  exactSeconds: number;
  /** Dirty slices when the last batch committed. */
  dirtyAtLastBatch: number;
  wrong: number;
  compared: number;
}

async function burst(stack: BenchStack, events: number, seed: number): Promise<Run> {
  const base = (await runtimeUrl(stack.workerGroup)) ?? stack.baseUrl;
  const { bodies: all, days } = bodies(events, seed, new Date());
  const total = all.reduce((n, b) => n + b.split("\n").length, 0);
  const before = await processed(stack);
  const t0 = performance.now();
  await postAll(stack, base, all);
  // Polled every 20 ms: the last batch's commit, then the last dirty slice's recomputation.
  let lastBatch = 0;
  const deadline = Date.now() + 1_800_000;
  while ((await processed(stack)) < before + total) {
    if (Date.now() > deadline) throw new Error("the burst was not processed in 30 minutes");
    await new Promise((r) => setTimeout(r, 20));
  }
  lastBatch = performance.now();
  const dirtyAtLastBatch = await dirty(stack);
  while ((await dirty(stack)) > 0) {
    if (Date.now() > deadline) throw new Error("slices still dirty after 30 minutes");
    await new Promise((r) => setTimeout(r, 20));
  }
  const exact = performance.now();
  const { wrong, compared } = await mismatches(stack);
  return {
    events: total,
    days,
    ingestSeconds: (lastBatch - t0) / 1000,
    exactSeconds: (exact - lastBatch) / 1000,
    dirtyAtLastBatch,
    wrong,
    compared,
  };
}

function rowsOf(run: Run, database: string, target?: string): Row[] {
  const label = `${run.events.toLocaleString("en")} events over ${run.days} days, ${database}`;
  return [
    {
      metric: `last batch → every KPI exact, ${label}`,
      value: Math.round(run.exactSeconds * 100) / 100,
      unit: "s",
      ...(target ? { target } : {}),
      note: `${run.dirtyAtLastBatch} slices dirty at the last batch; no scheduled job`,
    },
    {
      metric: `burst ingest, ${label}`,
      value: Math.round(run.events / run.ingestSeconds),
      unit: "events/s",
      note: `webhook → last batch committed in ${run.ingestSeconds.toFixed(1)} s`,
    },
    {
      metric: `slices differing from silver afterwards, ${label}`,
      value: run.wrong,
      unit: "slices",
      target: "0",
      note: `of ${run.compared} compared`,
    },
  ];
}

export async function benchExact(options: { quick?: boolean } = {}): Promise<void> {
  const rows: Row[] = [];
  const large = !options.quick && LARGE > 0;
  for (const database of DATABASES) {
    const stack = await startBenchStack({ database: database === "pglite" ? "pglite" : "server" });
    try {
      const kind = stack.databaseKind;
      rows.push(...rowsOf(await burst(stack, SMALL, 41), kind, "≤ 5 s"));
      if (large && kind !== "pglite") rows.push(...rowsOf(await burst(stack, LARGE, 43), kind));
    } finally {
      await stack.close();
    }
  }
  report("exact", rows, { quick: options.quick === true });
}
