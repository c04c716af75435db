/**
 * `npm run bench kpi` — the KPI engine at 1 M and 5 M sales (two years of history), against a real
 * Postgres (BENCH_DATABASE_URL, else the machine's server on 127.0.0.1:5432 when it answers, else
 * an embedded PGlite at a smaller size):
 *
 * - `/kpis/daily` and `/kpis/advanced` for 365 days through `wrangler dev`, cold edge cache
 *   (`Cache-Control: no-cache`: every answer is computed) — target p95 ≤ 50 ms — and, for
 *   reference, a cache hit, a 304 revalidation and one slice filter;
 * - several filters at once (region, segment, category; 30 days to a year; additive measures,
 *   distinct customers and percentiles) — target p95 ≤ 100 ms — with, for each, the SQL read
 *   before (silver) against the one read now (the daily combinations), timed in the same run;
 * - the consumer's cost per 100-event batch (its transaction plus the recomputation of the touched
 *   slices, run in Node over node-postgres with the pipeline's own functions), and the same batch
 *   end to end through the webhook, queue and consumer in the Worker;
 * - the seed's way to freshness for comparison: `REFRESH MATERIALIZED VIEW CONCURRENTLY
 *   mv_daily_sales_kpi` (the seed's view, created here only) after a batch.
 *
 * History is generated set-based in SQL (`lib/kpi-history.ts`); the bulk endpoint's rate is measured
 * on a sample to show why. BENCH_KPI_SIZES=1000000,5000000 overrides the sizes. With
 * BENCH_KPI_TEMPLATE=<database> (a server only) the first size's history is generated once into
 * that database and kept; later runs copy it (`CREATE DATABASE … TEMPLATE`, seconds) after checking
 * its migration level, sales and last day still match (`lib/kpi-template.ts`).
 */
import pg from "pg";
import type { Db } from "../workers/db/client.ts";
import { eventChecksum } from "../workers/ingest/checksum.ts";
import { identityOf, parseEvent } from "../workers/ingest/events.ts";
import { signedHeaders } from "../workers/ingest/signature.ts";
import { compileSeries, type Path } from "../workers/kpi/compile.ts";
import { DAY_MEASURES, GRAINS, metric } from "../workers/kpi/model.ts";
import type { Filters } from "../workers/kpi/params.ts";
import { type Item, processItems } from "../workers/pipeline/process.ts";
import { recomputeDirtySlices } from "../workers/pipeline/store/rollups.ts";
import { cpuSince, runtimeUrl, workerdCpuMs } from "./lib/cpu.ts";
import {
  CATEGORIES,
  generateDimensions,
  generateSales,
  historyStart,
  PRODUCTS,
  REGIONS,
  REPS,
  rebuildRollups,
  SEGMENTS,
  verifySlices,
} from "./lib/kpi-history.ts";
import { ensureTemplate, templateName } from "./lib/kpi-template.ts";
import { percentile, type Row, report, summarize } from "./lib/report.ts";
import { type BenchStack, startBenchStack } from "./lib/stack.ts";

export const DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres";
const LATENCY_SAMPLES = Number(process.env.BENCH_KPI_SAMPLES ?? 200);
const BATCHES = 20;

const label = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1_000}k`);
const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;
const log = (message: string) => console.log(`[kpi] ${message}`);

export async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/** The seed's view, verbatim apart from formatting, with the unique index CONCURRENTLY needs. */
const SEED_VIEW = `
CREATE MATERIALIZED VIEW mv_daily_sales_kpi AS
WITH daily_aggregates AS (
    SELECT d.date, d.fiscal_year, d.fiscal_quarter,
        COUNT(DISTINCT f.customer_key) as unique_customers,
        SUM(f.quantity_sold) as total_quantity,
        SUM(f.gross_revenue) as total_revenue,
        SUM(f.net_revenue) as net_revenue,
        SUM(f.cost_of_goods) as total_costs,
        AVG(f.average_order_value) as avg_order_value,
        PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY f.gross_revenue) as median_order_value,
        PERCENTILE_CONT(0.9) WITHIN GROUP (ORDER BY f.gross_revenue) as p90_order_value
    FROM fact_sales_summary f
    JOIN dim_time d ON f.time_key = d.time_key
    WHERE d.date >= CURRENT_DATE - INTERVAL '2 years'
    GROUP BY d.date, d.fiscal_year, d.fiscal_quarter
),
trend_analysis AS (
    SELECT *,
        LAG(total_revenue, 1) OVER (ORDER BY date) as prev_day_revenue,
        LAG(total_revenue, 7) OVER (ORDER BY date) as same_day_last_week,
        AVG(total_revenue) OVER (ORDER BY date ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) as seven_day_avg_revenue,
        (total_revenue - LAG(total_revenue, 1) OVER (ORDER BY date)) /
        NULLIF(LAG(total_revenue, 1) OVER (ORDER BY date), 0) * 100 as daily_growth_pct,
        (total_revenue - LAG(total_revenue, 7) OVER (ORDER BY date)) /
        NULLIF(LAG(total_revenue, 7) OVER (ORDER BY date), 0) * 100 as wow_growth_pct
    FROM daily_aggregates
)
SELECT *,
    CASE WHEN ABS(daily_growth_pct) > 25 THEN 'HIGH_VOLATILITY'
         WHEN ABS(daily_growth_pct) > 10 THEN 'MODERATE_VOLATILITY'
         ELSE 'STABLE' END as volatility_flag,
    CASE WHEN total_revenue < seven_day_avg_revenue * 0.8 THEN 'UNDERPERFORMING'
         WHEN total_revenue > seven_day_avg_revenue * 1.2 THEN 'OVERPERFORMING'
         ELSE 'NORMAL' END as performance_flag
FROM trend_analysis
ORDER BY date`;

/**
 * A 100-event batch: 90 new sales by existing customers, 10 updates of recent ones, on the day
 * `dayOffset` days after today — each size gets a day of its own, so both start from an empty day
 * (a recomputation reads the touched day's sales) and differ only in history.
 */
function batchEvents(seq: number, recent: string[], dayOffset: number): unknown[] {
  const now = new Date();
  const iso = (ms: number) => new Date(ms).toISOString();
  const events: unknown[] = [];
  const sale = (saleId: string, type: "INSERT" | "UPDATE", k: number) => ({
    event_type: type,
    entity: "sale",
    event_timestamp: iso(now.getTime() + k),
    payload: {
      sale_id: saleId,
      customer_id: `c${1 + ((seq * 7919 + k * 104_729) % 40_000)}`,
      product_id: `p${1 + ((seq * 31 + k * 17) % PRODUCTS)}`,
      sale_timestamp: iso(now.getTime() + dayOffset * 86_400_000 - 60_000),
      quantity: 1 + (k % 5),
      unit_price: 5 + ((seq * 13 + k * 7) % 195) + 0.99,
      discount: k % 10 === 0 ? 1.5 : 0,
      unit_cost: 3.25,
      currency_code: "USD",
      region: REGIONS[k % REGIONS.length],
      sales_rep_id: k % 2 === 0 ? `rep${1 + (k % REPS)}` : null,
    },
  });
  for (let k = 0; k < 90; k++) events.push(sale(`live-${seq}-${k}`, "INSERT", k));
  for (let k = 0; k < 10 && k < recent.length; k++) events.push(sale(recent[k]!, "UPDATE", 90 + k));
  return events;
}

async function itemsOf(events: unknown[]): Promise<Item[]> {
  const receivedAt = new Date().toISOString();
  return Promise.all(
    events.map(async (raw) => {
      const parsed = parseEvent(raw);
      if (!parsed.ok) throw new Error(parsed.reasons.join("; "));
      return {
        source: "bench",
        receivedAt,
        raw,
        checksum: eventChecksum("bench", identityOf(parsed.change)),
        change: parsed.change,
      };
    }),
  );
}

async function timed<T>(work: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const result = await work();
  return [performance.now() - t0, result];
}

/**
 * `n` requests one after the other: client-side latencies, the Worker's own `Server-Timing` and the
 * CPU the workerd processes spent per request (the runtime, and wrangler's dev proxy when the
 * requests go through it; clock ticks of 10 ms, so a mean). `base`: the dev proxy's address, or the
 * runtime's own (`runtimeUrl`) to leave the proxy out.
 */
async function latency(
  stack: BenchStack,
  path: string,
  n: number,
  headers: Record<string, string>,
  base = stack.baseUrl,
) {
  const url = `${base}${path}`;
  const auth = { authorization: `Bearer ${stack.viewerToken}`, ...headers };
  for (let i = 0; i < 10; i++) await (await fetch(url, { headers: auth })).arrayBuffer();
  const cpuBefore = workerdCpuMs(stack.workerGroup);
  const samples: number[] = [];
  const server = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const response = await fetch(url, { headers: auth });
    await response.arrayBuffer();
    if (response.status !== 200 && response.status !== 304)
      throw new Error(`${path}: HTTP ${response.status}`);
    samples.push(performance.now() - t0);
    // `Server-Timing: db;dur=…, version;dur=…, compute;dur=…` — the Worker's own account.
    for (const part of (response.headers.get("server-timing") ?? "").split(",")) {
      const [name, dur] = part.trim().split(";dur=");
      if (name && dur) server.set(name, [...(server.get(name) ?? []), Number(dur)]);
    }
  }
  const cpu = cpuSince(cpuBefore, workerdCpuMs(stack.workerGroup), n);
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const parts = [...server.values()];
  const totals = sorted((parts[0] ?? []).map((_, i) => parts.reduce((sum, xs) => sum + (xs[i] ?? 0), 0)));
  const each = [...server].map(([name, xs]) => `${name} ${round(percentile(sorted(xs), 50), 1)}`).join(", ");
  const breakdown = each
    ? `in the Worker: p50 ${round(percentile(totals, 50), 1)}, p95 ${round(percentile(totals, 95), 1)} ms (p50 ${each})`
    : undefined;
  const cpuNote = `CPU per request: runtime ${round(cpu.runtime, 1)} ms, dev proxy ${round(cpu.proxy, 1)} ms`;
  return { samples, breakdown, cpu, cpuNote };
}

const FILTER_SAMPLES = Number(process.env.BENCH_KPI_FILTER_SAMPLES ?? 50);
const SILVER_SAMPLES = 5;
const ADDITIVE = "revenue,net_revenue,gross_profit,orders,quantity";
const RECOMPUTED = "unique_customers,median_order_value,p90_order_value";

/**
 * Several filters at once (region, segment, category) over 30 days, 90 days and a year: through
 * the Worker (cold cache), and — for the same query, in the same run — the SQL the compiler emits
 * for the combinations against the SQL it emitted before them (silver), timed over node-postgres.
 */
async function benchFilters(stack: BenchStack, db: Db, today: string): Promise<Row[]> {
  const day = (n: number) =>
    new Date(Date.parse(`${today}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);
  const [region, segment, category] = [REGIONS[0]!, SEGMENTS[1]!, CATEGORIES[0]!];
  const cases: [string, Filters, number, string, string][] = [
    [
      "region+segment, additive, day, 30 d",
      [
        ["region", region],
        ["segment", segment],
      ],
      30,
      ADDITIVE,
      "day",
    ],
    [
      "region+segment, additive, day, 90 d",
      [
        ["region", region],
        ["segment", segment],
      ],
      90,
      ADDITIVE,
      "day",
    ],
    [
      "region+segment, additive, day, 365 d",
      [
        ["region", region],
        ["segment", segment],
      ],
      365,
      ADDITIVE,
      "day",
    ],
    [
      "region+category, additive, day, 365 d",
      [
        ["region", region],
        ["category", category],
      ],
      365,
      ADDITIVE,
      "day",
    ],
    [
      "segment+category, additive, day, 90 d",
      [
        ["segment", segment],
        ["category", category],
      ],
      90,
      ADDITIVE,
      "day",
    ],
    [
      "region+segment+category, additive, day, 365 d",
      [
        ["region", region],
        ["segment", segment],
        ["category", category],
      ],
      365,
      ADDITIVE,
      "day",
    ],
    [
      "region+segment+category, additive, month, 365 d",
      [
        ["region", region],
        ["segment", segment],
        ["category", category],
      ],
      365,
      ADDITIVE,
      "month",
    ],
    [
      "region+segment, distinct customers + percentiles, day, 365 d",
      [
        ["region", region],
        ["segment", segment],
      ],
      365,
      RECOMPUTED,
      "day",
    ],
    [
      "region+segment, distinct customers over the range, 30 d",
      [
        ["region", region],
        ["segment", segment],
      ],
      30,
      "unique_customers",
      "range",
    ],
  ];
  const cold = { "cache-control": "no-cache" };
  const rows: Row[] = [];
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const timeSql = async (text: string, params: unknown[], n: number) => {
    await db.query(text, params);
    const xs: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await db.query(text, params);
      xs.push(performance.now() - t0);
    }
    return sorted(xs);
  };
  // The runtime workerd's own address: the same requests without wrangler's dev proxy in front.
  const runtime = await runtimeUrl(stack.workerGroup);
  const direct = async (path: string) => {
    if (!runtime) return "";
    const { samples } = await latency(stack, path, FILTER_SAMPLES, cold, runtime);
    const xs = sorted(samples);
    return `; without the dev proxy p50 ${round(percentile(xs, 50), 1)} / p95 ${round(percentile(xs, 95), 1)} ms`;
  };
  const whereTimeGoes = (measured: Awaited<ReturnType<typeof latency>>) =>
    `${measured.breakdown ?? "no Server-Timing"}; ${measured.cpuNote}`;
  for (const [name, filters, days, metrics, grain] of cases) {
    const range = { from: day(days - 1), to: today };
    const qs = new URLSearchParams({ ...Object.fromEntries(filters), ...range, metrics, grain });
    const measured = await latency(stack, `/api/v1/query?${qs}`, FILTER_SAMPLES, cold);
    const { samples } = measured;
    const withoutProxy = await direct(`/api/v1/query?${qs}`);
    const source = (await (
      await fetch(`${stack.baseUrl}/api/v1/query?${qs}`, {
        headers: { authorization: `Bearer ${stack.viewerToken}`, ...cold },
      })
    ).json()) as { meta: { source: string } };
    const [p50, p95] = summarize(
      `/query ${name}, cold (${source.meta.source})`,
      samples,
      "ms",
      "p95 ≤ 100 ms",
    );
    const request = {
      metrics: metrics.split(",").map(metric),
      grain: GRAINS.get(grain)!,
      filters,
      range,
      timeZone: "UTC",
    };
    const combo: Path = {
      kind: "combo",
      dims: filters.map(([n]) => n).join("+"),
      members: Object.fromEntries(filters),
    };
    const before = compileSeries(request, { kind: "silver" });
    const silverMs = await timeSql(before.text, before.params, SILVER_SAMPLES);
    let note = `SQL before (silver) p50 ${round(percentile(silverMs, 50), 1)} ms`;
    if (source.meta.source === "combo") {
      const after = compileSeries(request, combo);
      const comboMs = await timeSql(after.text, after.params, 20);
      note += `, after (combinations) p50 ${round(percentile(comboMs, 50), 1)} ms (${round(percentile(silverMs, 50) / percentile(comboMs, 50), 0)}×)`;
    }
    rows.push({ ...p50!, note }, { ...p95!, note: `${whereTimeGoes(measured)}${withoutProxy}` });
  }
  const daily = new URLSearchParams({ from: day(364), to: today, region, segment });
  const dailyMeasured = await latency(stack, `/api/v1/kpis/daily?${daily}`, FILTER_SAMPLES, cold);
  const { samples } = dailyMeasured;
  const dailyDirect = await direct(`/api/v1/kpis/daily?${daily}`);
  const [p50, p95] = summarize("/kpis/daily 365 d region+segment, cold", samples, "ms", "p95 ≤ 100 ms");
  // What the report read before: its day measures (from 30 days before `from`) from silver.
  const dailyRequest = {
    metrics: DAY_MEASURES.map(metric),
    grain: GRAINS.get("day")!,
    filters: [
      ["region", region],
      ["segment", segment],
    ] as Filters,
    range: { from: day(394), to: today },
    timeZone: "UTC",
  };
  const silverDaily = compileSeries({ ...dailyRequest, withFiscal: true }, { kind: "silver" });
  const dailyMs = await timeSql(silverDaily.text, silverDaily.params, SILVER_SAMPLES);
  rows.push(
    {
      ...p50!,
      note: `its day measures from silver (before): SQL p50 ${round(percentile(dailyMs, 50), 1)} ms`,
    },
    { ...p95!, note: `${whereTimeGoes(dailyMeasured)}${dailyDirect}` },
  );
  const drill = new URLSearchParams({ metric: "revenue", by: "segment", region, from: day(364), to: today });
  const breakdown = await latency(stack, `/api/v1/breakdown?${drill}`, FILTER_SAMPLES, cold);
  const [b50, b95] = summarize(
    "/breakdown revenue by segment, region=, 365 d, cold",
    breakdown.samples,
    "ms",
    "p95 ≤ 100 ms",
  );
  const breakdownDirect = await direct(`/api/v1/breakdown?${drill}`);
  rows.push(b50!, { ...b95!, note: `${whereTimeGoes(breakdown)}${breakdownDirect}` });
  return rows;
}

async function bulkRate(stack: BenchStack, events: number, today: string): Promise<number> {
  const start = Date.parse(`${historyStart(today)}T00:00:00Z`);
  const lines: string[] = [];
  for (let i = 0; i < events; i++) {
    const at = new Date(start + ((i * 7_777_777) % (700 * 86_400_000))).toISOString();
    lines.push(
      JSON.stringify({
        event_type: "INSERT",
        entity: "sale",
        event_timestamp: at,
        payload: {
          sale_id: `bulk-${i}`,
          customer_id: `c${1 + (i % 40_000)}`,
          product_id: `p${1 + (i % PRODUCTS)}`,
          sale_timestamp: at,
          quantity: 1 + (i % 4),
          unit_price: 19.99,
          unit_cost: 4,
          region: REGIONS[i % REGIONS.length],
        },
      }),
    );
  }
  const t0 = performance.now();
  for (let i = 0; i < lines.length; i += 5_000) {
    const body = `${lines.slice(i, i + 5_000).join("\n")}\n`;
    const response = await fetch(`${stack.baseUrl}/api/v1/cdc/${stack.source.name}/bulk`, {
      method: "POST",
      headers: { "content-type": "application/x-ndjson", ...signedHeaders(stack.source.secret, body) },
      body,
    });
    if (!response.ok) throw new Error(`bulk: HTTP ${response.status} ${await response.text()}`);
  }
  return events / ((performance.now() - t0) / 1000);
}

export async function benchKpi(): Promise<void> {
  if (!process.env.BENCH_DATABASE_URL && (await reachable(DEFAULT_SERVER))) {
    process.env.BENCH_DATABASE_URL = DEFAULT_SERVER;
  }
  const server = Boolean(process.env.BENCH_DATABASE_URL);
  const sizes = (process.env.BENCH_KPI_SIZES ?? (server ? "1000000,5000000" : "100000"))
    .split(",")
    .map(Number);
  const started = performance.now();
  const today = new Date().toISOString().slice(0, 10);
  // BENCH_KPI_TEMPLATE: the first size's history comes from a kept database (see kpi-template.ts).
  const template = process.env.BENCH_KPI_TEMPLATE ? templateName(process.env.BENCH_KPI_TEMPLATE) : undefined;
  if (template && !server) throw new Error("BENCH_KPI_TEMPLATE needs a Postgres server (BENCH_DATABASE_URL)");
  const kept = template
    ? await ensureTemplate(process.env.BENCH_DATABASE_URL!, template, sizes[0]!, today, log)
    : undefined;
  const [stackMs, stack] = await timed(() => startBenchStack(template ? { template } : {}));
  const client = await stack.db.connect();
  const db = client as unknown as Db; // the pipeline's functions take the Neon client; same query API
  const rows: Row[] = [];
  const notes: Record<string, unknown> = {
    database: stack.databaseKind,
    history:
      "generated set-based in SQL into silver, dimensions, fact, customer_first_sale and kpi_day_slice",
  };
  try {
    await client.query("SET work_mem = '256MB'");
    const from = new Date(Date.parse(`${today}T00:00:00Z`) - 364 * 86_400_000).toISOString().slice(0, 10);
    const range = `from=${from}&to=${today}`;
    let loaded = 0;
    let seq = 0;
    const recent: string[] = [];
    const generateHistory = async (size: number, tag: string) => {
      log(`generating ${label(size)} sales…`);
      await generateDimensions(client as unknown as pg.Client, size);
      const [salesMs] = await timed(() =>
        generateSales(client as unknown as pg.Client, loaded, size, today, (n) =>
          log(`  ${n.toLocaleString()} sales`),
        ),
      );
      loaded = size;
      const [rollupMs] = await timed(() => rebuildRollups(client as unknown as pg.Client));
      const differing = await verifySlices(client as unknown as pg.Client);
      if (differing.length > 0)
        throw new Error(`generated slices differ from the pipeline's: ${differing.join("; ")}`);
      rows.push({
        metric: `history ${tag}: generate silver + rollups`,
        value: round((salesMs + rollupMs) / 1000, 1),
        unit: "s",
        note: `silver ${round(salesMs / 1000, 1)} s, fact+slices ${round(rollupMs / 1000, 1)} s; 200 random slices recomputed by the pipeline: 0 differ`,
      });
    };
    for (const [stage, size] of sizes.entries()) {
      recent.length = 0;
      const tag = `@${label(size)}`;
      if (template && kept && stage === 0) {
        loaded = size;
        rows.push({
          metric: `history ${tag}: copy of template ${template}`,
          value: round(stackMs / 1000, 1),
          unit: "s",
          note: `CREATE DATABASE … TEMPLATE and the stack's start; ${
            kept.generatedMs === undefined
              ? "template kept from an earlier run"
              : `template generated by this run in ${round(kept.generatedMs / 1000, 1)} s (200 random slices recomputed by the pipeline: 0 differ)`
          }`,
        });
      } else {
        await generateHistory(size, tag);
      }
      if (size === sizes[0]) {
        log("bulk endpoint sample…");
        const rate = await bulkRate(stack, 20_000, today);
        rows.push({
          metric: "bulk endpoint (whole pipeline, through the Worker)",
          value: Math.round(rate),
          unit: "events/s",
          note: `20k events; 5M would take ${round(5_000_000 / rate / 60, 1)} min (why history is generated in SQL)`,
        });
        for (;;) {
          await client.query("BEGIN");
          const n = await recomputeDirtySlices(db, 5_000);
          await client.query("COMMIT");
          if (n === 0) break;
        }
        log("creating the seed's materialized view…");
        await client.query(SEED_VIEW);
        await client.query("CREATE UNIQUE INDEX idx_mv_daily_sales_kpi_date ON mv_daily_sales_kpi (date)");
      }

      log(`latency ${tag}…`);
      const cold = { "cache-control": "no-cache" };
      const endpoints: [string, string, number, Record<string, string>][] = [
        ["/kpis/daily 365 d, cold", `/api/v1/kpis/daily?${range}`, LATENCY_SAMPLES, cold],
        ["/kpis/advanced 365 d, cold", `/api/v1/kpis/advanced?${range}`, LATENCY_SAMPLES, cold],
        ["/kpis/daily 365 d region=EMEA, cold", `/api/v1/kpis/daily?${range}&region=EMEA`, 50, cold],
        ["/kpis/daily 365 d edge-cache hit", `/api/v1/kpis/daily?${range}`, 50, {}],
      ];
      for (const [name, path, n, headers] of endpoints) {
        const { samples, breakdown } = await latency(stack, path, n, headers);
        const target =
          name.startsWith("/kpis/daily 365 d, cold") || name.startsWith("/kpis/advanced")
            ? "p95 ≤ 50 ms"
            : undefined;
        const [p50, p95] = summarize(`${name} ${tag}`, samples, "ms", target);
        rows.push({ ...p50!, ...(breakdown ? { note: breakdown } : {}) }, p95!);
      }

      log(`several filters at once ${tag}…`);
      rows.push(
        ...(await benchFilters(stack, db, today)).map((r) => ({ ...r, metric: `${r.metric} ${tag}` })),
      );

      log(`consumer batches ${tag}…`);
      const batchMs: number[] = [];
      const recomputeMs: number[] = [];
      const refreshMs: number[] = [];
      for (let b = 0; b < BATCHES; b++) {
        const items = await itemsOf(batchEvents(++seq, recent, stage));
        const options = { timeZone: "UTC", reportingCurrency: "USD", batchId: crypto.randomUUID() };
        const [txMs] = await timed(async () => {
          await client.query("BEGIN");
          await processItems(db, items, options);
          await client.query("COMMIT");
        });
        const [reMs] = await timed(async () => {
          await client.query("BEGIN");
          await recomputeDirtySlices(db, 200);
          await client.query("COMMIT");
        });
        batchMs.push(txMs + reMs);
        recomputeMs.push(reMs);
        recent.splice(
          0,
          recent.length,
          ...items.slice(0, 10).map((i) => (i.raw as { payload: { sale_id: string } }).payload.sale_id),
        );
        if (b < (size === sizes[0] ? 3 : 2)) {
          const [ms] = await timed(() =>
            client.query("REFRESH MATERIALIZED VIEW CONCURRENTLY mv_daily_sales_kpi"),
          );
          refreshMs.push(ms);
        }
      }
      rows.push(
        ...summarize(`consumer batch of 100 events (transaction + recompute) ${tag}`, batchMs, "ms").slice(
          0,
          2,
        ),
      );
      rows.push({
        metric: `  of which slice recomputation ${tag}`,
        value: round(
          percentile(
            [...recomputeMs].sort((a, b) => a - b),
            50,
          ),
        ),
        unit: "ms",
        note: "p50",
      });
      const refresh = refreshMs.reduce((a, b) => a + b, 0) / refreshMs.length;
      rows.push({
        metric: `seed: REFRESH MATERIALIZED VIEW CONCURRENTLY after a batch ${tag}`,
        value: round(refresh),
        unit: "ms",
        note: `mean of ${refreshMs.length}; ${round(
          refresh /
            percentile(
              [...batchMs].sort((a, b) => a - b),
              50,
            ),
          0,
        )}× the incremental batch (p50)`,
      });

      log(`webhook → queue → consumer ${tag}…`);
      const e2e: number[] = [];
      for (let b = 0; b < 10; b++) {
        const events = batchEvents(++seq, [], stage);
        const last = (events.at(-1) as { payload: { sale_id: string } }).payload.sale_id;
        const t0 = performance.now();
        const response = await stack.post(JSON.stringify(events));
        if (response.status !== 202) throw new Error(`webhook: HTTP ${response.status}`);
        for (;;) {
          const done = await client.query(
            "SELECT EXISTS (SELECT 1 FROM silver_sales_clean WHERE sale_id = $1) AND NOT EXISTS (SELECT 1 FROM kpi_dirty) AS done",
            [last],
          );
          if (done.rows[0].done) break;
          await new Promise((r) => setTimeout(r, 5));
        }
        e2e.push(performance.now() - t0);
      }
      rows.push(
        ...summarize(`webhook → slices updated and recomputed, 100 events ${tag}`, e2e, "ms").slice(0, 2),
      );
    }
    notes.minutes = round((performance.now() - started) / 60_000, 1);
  } finally {
    client.release();
    await stack.close();
  }
  report("kpi", rows, notes);
}
