/**
 * Asking questions over HTTP in the tests (only test files import it), and a fingerprint of the
 * test data that shows whether anything changed it.
 */
import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import { TEST_VIEWER_TOKEN } from "../../../test/support/tokens.ts";
import { query } from "../../test-support.ts";
import { FIRST_DAY, TODAY } from "./dataset.ts";

export interface AskBody {
  status: "answered" | "clarify" | "refused";
  answer: string;
  interpretation: Record<string, unknown> & {
    text: string;
    shape: string;
    metrics: string[];
    filters: Record<string, string>;
    from: string;
    to: string;
    compare?: { mode: string; from: string; to: string };
  };
  result: { columns: { name: string; type: string; unit?: string }[]; data: unknown[][] } | null;
  sources: {
    metrics: { name: string; label: string; definition: string }[];
    tables: string[];
    sql: string;
    params: unknown[][];
    endpoint: string;
    queries: { endpoint: string; sql: string; params: unknown[][] }[];
    as_of: string;
    freshness: Record<string, unknown>;
    row_count: number;
  } | null;
  chart?: { kind: string; x: string; y: string[] };
  candidates?: { kind: string; name: string; label: string; dimension?: string }[];
  suggestions?: string[];
}

export function post(body: unknown, token = TEST_VIEWER_TOKEN): Promise<Response> {
  return exports.default.fetch("http://pulse.test/api/v1/ask", {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export async function ask(question: string, today = TODAY): Promise<AskBody> {
  const response = await post({ question, today });
  const text = await response.text();
  expect(response.status, `${question}: ${text}`).toBe(200);
  return JSON.parse(text) as AskBody;
}

export function rows(table: { columns: { name: string }[]; data: unknown[][] }): Record<string, unknown>[] {
  const n = table.data[0]?.length ?? 0;
  return Array.from({ length: n }, (_, i) =>
    Object.fromEntries(table.columns.map((c, j) => [c.name, table.data[j]![i]])),
  );
}

/** A GET of the KPI API with the viewer token, bypassing the edge cache. */
export async function viewerGet(path: string): Promise<{ columns: { name: string }[]; data: unknown[][] }> {
  const response = await exports.default.fetch(`http://pulse.test${path}`, {
    headers: { authorization: `Bearer ${TEST_VIEWER_TOKEN}`, "cache-control": "no-cache" },
  });
  expect(response.status, path).toBe(200);
  return response.json();
}

/** A hash of every row the test data put in silver, the rollups and the dimensions. */
export async function fingerprint(): Promise<string> {
  const [row] = await query<{ f: string }>(
    `SELECT md5(concat_ws('|',
       (SELECT string_agg(concat_ws(',', sale_id, sale_date, quantity, unit_price, discount, unit_cost, region, is_deleted), ';' ORDER BY sale_id)
          FROM silver_sales_clean WHERE sale_id LIKE 'ask-s%'),
       (SELECT string_agg(concat_ws(',', dim, member, day, orders, revenue, net_revenue, costs, unique_customers, new_customers), ';' ORDER BY dim, member, day)
          FROM kpi_day_slice WHERE day BETWEEN $1 AND $2),
       (SELECT string_agg(concat_ws(',', product_id, product_name, category), ';' ORDER BY product_id) FROM dim_product WHERE product_id LIKE 'ask-%'),
       (SELECT string_agg(concat_ws(',', customer_id, customer_segment, is_current), ';' ORDER BY customer_id, customer_key) FROM dim_customer WHERE customer_id LIKE 'ask-%'),
       (SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'))) AS f`,
    [FIRST_DAY, TODAY],
  );
  return row!.f;
}
