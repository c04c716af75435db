/**
 * Test kit for the KPI API tests (only test files import it): a generated sales history with
 * updates, deletes, gaps, late events and ties, loaded through the real pipeline (bulk endpoint,
 * then the webhook and queue for the late events), and the expected live sales resolved
 * independently from the events.
 *
 * Every history lives in its own region (a unique name), so the region's slices belong to one test
 * even though all test files share the database; its days are in 2045–2055, away from the days
 * other tests pick.
 */
import { env, exports } from "cloudflare:workers";
import { prng } from "../../../scripts/demo/random.ts";
import { TEST_ADMIN_TOKEN, TEST_VIEWER_TOKEN } from "../../../test/support/tokens.ts";
import { transaction, withDb } from "../../db/client.ts";
import { signedHeaders } from "../../ingest/signature.ts";
import { recomputeDirtySlices } from "../../pipeline/store/rollups.ts";
import { createSource, eventually, postSigned, query } from "../../test-support.ts";
import { addDays } from "../calendar.ts";

interface SalePayload {
  sale_id: string;
  customer_id: string;
  product_id: string;
  sale_timestamp: string;
  quantity: number;
  unit_price: number;
  discount: number;
  unit_cost?: number;
  currency_code: "USD";
  region: string;
  sales_rep_id: string | null;
}
type SaleRaw = {
  event_type: "INSERT" | "UPDATE";
  entity: "sale";
  event_timestamp: string;
  payload: SalePayload;
};
type DeleteRaw = {
  event_type: "DELETE";
  entity: "sale";
  event_timestamp: string;
  payload: { sale_id: string };
};
export type Raw = SaleRaw | DeleteRaw;

const deleteEvent = (saleId: string, at: string): DeleteRaw => ({
  event_type: "DELETE",
  entity: "sale",
  event_timestamp: at,
  payload: { sale_id: saleId },
});

/** A small seeded generator (mulberry32, the demo's): the same seed gives the same history. */
export const random = prng;

export interface History {
  region: string;
  /** Day 0 of the plan (history may start earlier: a late sale lands three days before it). */
  start: string;
  days: number;
  /** Loaded in this order: two bulk loads, then one webhook batch through the queue. */
  bulk: Raw[][];
  late: Raw[];
}

/**
 * Every metric of the semantic model, in its order, written by hand: the API's contract (the
 * catalogue test holds the model to it), and what the tests compare day by day with silver.
 */
export const ALL_METRICS = [
  "revenue",
  "net_revenue",
  "cost_of_goods",
  "gross_profit",
  "profit_margin_pct",
  "orders",
  "quantity",
  "unique_customers",
  "avg_order_value",
  "median_order_value",
  "p90_order_value",
  "new_customers",
];

export function uniqueRegion(): string {
  return `kpi-${crypto.randomUUID().slice(0, 8)}`;
}

/** A random day 0 in 2045–2055. */
export function randomFutureDay(): string {
  return addDays("2045-01-01", Math.floor(Math.random() * 3_650));
}

/**
 * About `days` days of sales: gaps (a run of eight empty days and scattered ones), tie days of one
 * identical sale, repeat customers, prices that repeat (percentile ties), discounts, unknown costs;
 * updates (some moving a sale to another day), deletes (all of day 0, so history starts later
 * until a late sale moves it earlier), and a late batch with stale updates that must lose.
 */
export function generateHistory(region: string, start: string, days = 100, seed = 20_261_125): History {
  const draw = historyDraws(region, start, seed);
  const inserts = dailySales(draw, days);
  const first = inserts.filter((e) => e.payload.sale_timestamp.startsWith(draw.day(0)));
  const { updates, stale } = corrections(
    draw,
    inserts.filter((e) => !first.includes(e)),
    days,
  );
  const deleteDayZero = first.map((e) => deleteEvent(e.payload.sale_id, draw.eventTime()));
  const half = Math.floor(inserts.length / 2);
  const late: Raw[] = [
    ...stale,
    draw.sale(-3), // before the start of history: history now starts at day −3
    draw.sale(24), // into the run of empty days
    draw.sale(days - 1, { quantity: 3, unit_price: 25 }),
  ];
  return {
    region,
    start,
    days,
    bulk: [inserts.slice(0, half), [...inserts.slice(half), ...updates, ...deleteDayZero]],
    late,
  };
}

const PRICES = [10, 19.99, 25, 25.5, 100, 7.25, 3.33];

/**
 * The history's random draws, source clock and event makers. One seeded sequence feeds the steps
 * below in a fixed order, so a seed always gives the same history.
 */
function historyDraws(region: string, start: string, seed: number) {
  const rnd = random(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]) => xs[int(xs.length)]!;
  const customers = Array.from({ length: 25 }, (_, i) => `${region}-c${i}`);
  const day = (i: number) => addDays(start, i);
  const two = (n: number) => String(int(n)).padStart(2, "0");
  const at = (i: number) => `${day(i)}T${two(24)}:${two(60)}:${two(60)}Z`;
  let clock = Date.UTC(2044, 0, 1);
  const eventTime = () => {
    clock += 1_000;
    return new Date(clock).toISOString();
  };
  let n = 0;
  const sale = (i: number, overrides: Partial<SalePayload> = {}): SaleRaw => {
    const payload: SalePayload = {
      sale_id: `${region}-s${n++}`,
      customer_id: pick(customers),
      product_id: `${region}-p${int(6)}`,
      sale_timestamp: at(i),
      quantity: 1 + int(5),
      unit_price: pick(PRICES),
      discount: rnd() < 0.3 ? pick([0.5, 1, 2.25]) : 0,
      unit_cost: pick([1, 2.5, 4]),
      currency_code: "USD",
      region,
      sales_rep_id: rnd() < 0.5 ? `${region}-rep${int(3)}` : null,
      ...overrides,
    };
    // Some sales do not say their cost (and the product is unknown): they cost nothing.
    if (rnd() < 0.15 && !("unit_cost" in overrides)) delete payload.unit_cost;
    return { event_type: "INSERT", entity: "sale", event_timestamp: eventTime(), payload };
  };
  const update = (e: SaleRaw, changes: Partial<SalePayload>): SaleRaw => ({
    ...e,
    event_type: "UPDATE",
    event_timestamp: eventTime(),
    payload: { ...e.payload, ...changes },
  });
  return { rnd, int, pick, customers, day, at, eventTime, sale, update };
}

type HistoryDraws = ReturnType<typeof historyDraws>;

/** The inserts: 1–7 sales a day, gaps, tie days of one identical sale, and day 51's anomaly. */
function dailySales(draw: HistoryDraws, days: number): SaleRaw[] {
  const gaps = new Set<number>();
  for (let i = 20; i < 28; i++) gaps.add(i);
  for (let i = 1; i < days; i++) if (draw.rnd() < 0.12) gaps.add(i);
  const ties = new Set([40, 41, 42, 43, 44, 70, 71]);
  const inserts: SaleRaw[] = [];
  for (let i = 0; i < days; i++) {
    if (gaps.has(i) && !ties.has(i)) continue;
    if (ties.has(i)) {
      inserts.push(
        draw.sale(i, {
          customer_id: draw.customers[0]!,
          quantity: 2,
          unit_price: 25,
          discount: 0,
          unit_cost: 4,
        }),
      );
      continue;
    }
    for (let k = 1 + draw.int(7); k > 0; k--) inserts.push(draw.sale(i));
  }
  // Day 51 gets a huge sale: an anomaly.
  inserts.push(draw.sale(51, { quantity: 5, unit_price: 999.99 }));
  return inserts;
}

/** Changes to the sales after day 0: updates, moves to another day, deletes, and stale changes that must lose. */
function corrections(draw: HistoryDraws, later: SaleRaw[], days: number) {
  const updates: Raw[] = [];
  const stale: Raw[] = [];
  for (const e of later) {
    const r = draw.rnd();
    if (r < 0.15) {
      updates.push(draw.update(e, { quantity: 1 + draw.int(5), unit_price: draw.pick(PRICES) }));
    } else if (r < 0.22) {
      // Move the sale to another day, sometimes into a gap.
      updates.push(draw.update(e, { sale_timestamp: draw.at(draw.int(days)) }));
    } else if (r < 0.3) {
      updates.push(deleteEvent(e.payload.sale_id, draw.eventTime()));
    } else if (r < 0.36) {
      // A stale change: older than the insert, arriving last — it must lose.
      stale.push({
        ...e,
        event_type: "UPDATE",
        event_timestamp: "2043-12-31T00:00:00Z",
        payload: { ...e.payload, quantity: 99 },
      });
    }
  }
  return { updates, stale };
}

/** What silver must hold for the region: per sale the latest event (by source time) unless it is a delete. */
export function expectedLiveSales(history: History) {
  const latest = new Map<string, Raw>();
  for (const e of [...history.bulk.flat(), ...history.late]) {
    const current = latest.get(e.payload.sale_id);
    if (!current || Date.parse(e.event_timestamp) >= Date.parse(current.event_timestamp)) {
      latest.set(e.payload.sale_id, e);
    }
  }
  return [...latest.values()]
    .flatMap((e) => (e.event_type === "DELETE" || !("quantity" in e.payload) ? [] : [e.payload]))
    .map((p) => ({
      sale_id: p.sale_id,
      sale_date: p.sale_timestamp.slice(0, 10),
      customer_id: p.customer_id,
      quantity: p.quantity,
      unit_price: p.unit_price.toFixed(2),
      discount: p.discount.toFixed(2),
      unit_cost: p.unit_cost === undefined ? null : p.unit_cost.toFixed(2),
    }))
    .sort((a, b) => (a.sale_id < b.sale_id ? -1 : 1));
}

export async function liveSalesInSilver(region: string) {
  return query<ReturnType<typeof expectedLiveSales>[number]>(
    `SELECT sale_id, sale_date::text, customer_id, quantity, unit_price::text, discount::text, unit_cost::text
       FROM silver_sales_clean WHERE region = $1 AND NOT is_deleted ORDER BY sale_id COLLATE "C"`,
    [region],
  );
}

export async function postBulk(source: { name: string; secret: string }, events: Raw[]): Promise<void> {
  const body = `${events.map((e) => JSON.stringify(e)).join("\n")}\n`;
  const response = await exports.default.fetch(`http://pulse.test/api/v1/cdc/${source.name}/bulk`, {
    method: "POST",
    headers: { "content-type": "application/x-ndjson", ...signedHeaders(source.secret, body) },
    body,
  });
  if (response.status !== 200) throw new Error(`bulk load: ${response.status} ${await response.text()}`);
}

/** Recomputes every slice left dirty (what the consumer and the scheduled job do). */
export async function settleSlices(): Promise<void> {
  await withDb(env, async (db) => {
    while ((await transaction(db, (tx) => recomputeDirtySlices(tx, 5_000))) > 0) {}
  });
}

/** Loads the history through the pipeline and waits until silver holds exactly the expected sales. */
export async function loadHistory(history: History): Promise<void> {
  const source = await createSource("kpi");
  for (const part of history.bulk) await postBulk(source, part);
  const finish = await exports.default.fetch(`http://pulse.test/api/v1/cdc/${source.name}/bulk/finish`, {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
  });
  if (finish.status !== 200) throw new Error(`bulk finish: ${finish.status}`);
  const response = await postSigned(source, JSON.stringify(history.late));
  if (response.status !== 202) throw new Error(`webhook: ${response.status} ${await response.text()}`);
  const expected = JSON.stringify(expectedLiveSales(history));
  await eventually(
    async () => JSON.stringify(await liveSalesInSilver(history.region)),
    (actual) => actual === expected,
    20_000,
  );
  await settleSlices();
}

/** A GET with the viewer token. */
export function viewer(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return exports.default.fetch(`http://pulse.test${path}`, {
    headers: { authorization: `Bearer ${TEST_VIEWER_TOKEN}`, ...headers },
  });
}

export interface Columnar {
  columns: { name: string; type: string; unit?: string }[];
  data: unknown[][];
  meta: Record<string, unknown>;
  as_of: string;
  freshness: Record<string, unknown>;
}

/** Rows (objects) of a columnar answer. */
export function rowsOf(body: Pick<Columnar, "columns" | "data">): Record<string, unknown>[] {
  const n = body.data[0]?.length ?? 0;
  return Array.from({ length: n }, (_, i) =>
    Object.fromEntries(body.columns.map((c, j) => [c.name, body.data[j]![i]])),
  );
}

/** A strict RFC 4180 reader (independent of the writer): CRLF records, quoted fields, doubled quotes. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (ch === '"') {
        quoted = false;
        i++;
      } else {
        field += ch;
        i++;
      }
    } else if (ch === '"' && field === "") {
      quoted = true;
      i++;
    } else if (ch === ",") {
      record.push(field);
      field = "";
      i++;
    } else if (ch === "\r" && text[i + 1] === "\n") {
      record.push(field);
      records.push(record);
      record = [];
      field = "";
      i += 2;
    } else {
      if (ch === "\n" || ch === "\r") throw new Error(`bare line break at ${i}: records must end with CRLF`);
      field += ch;
      i++;
    }
  }
  if (field !== "" || record.length > 0) throw new Error("the last record does not end with CRLF");
  return records;
}

/** A JSON value as the CSV writes it: numbers as they are, null as an empty field. */
export const asCsv = (v: unknown) => (v === null || v === undefined ? "" : String(v));
