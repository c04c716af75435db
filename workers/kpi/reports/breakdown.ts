/**
 * `GET /api/v1/breakdown?metric=revenue&by=region&from=…&to=…[&filters][&sort&order&limit&offset]`
 * — a metric by a dimension, paginated and sortable. Drilling down adds the clicked member as a
 * filter and moves `by` one level along region → segment → product → sale; `by=sale` lists the
 * underlying sales themselves. `meta.drill` says what the next level is.
 */
import type { Db } from "../../db/client.ts";
import { ApiError } from "../../http/errors.ts";
import { readComboVersion } from "../combos.ts";
import {
  breakdownPath,
  type BreakdownRequest as MemberQuery,
  type Path,
  SALE_COLUMNS,
  SALE_SORTS,
  type SaleSort,
} from "../compile.ts";
import { DIMENSIONS, drillNext, FILTER_NAMES } from "../model.ts";
import {
  type Filters,
  known,
  type Params,
  parseBy,
  parseChoice,
  parseFilters,
  parseMetric,
  parseOrder,
  parsePage,
  parseRange,
  type Range,
} from "../params.ts";
import { readBreakdown, readSales, readVersion } from "../store.ts";
import { type Column, col, columnar, type Table } from "../table.ts";
import { filterObject, type Report, type ReportContext } from "./report.ts";

export const MAX_BREAKDOWN_DAYS = 3_660;

export type BreakdownRequest =
  | (MemberQuery & { kind: "members"; path: Path })
  | {
      kind: "sales";
      filters: Filters;
      range: Range;
      sort: SaleSort;
      order: "asc" | "desc";
      limit: number;
      offset: number;
    };

const PARAMS = ["metric", "by", "from", "to", "sort", "order", "limit", "offset", ...FILTER_NAMES] as const;

const MONEY = new Set(["unit_price", "discount", "unit_cost", "revenue", "net_revenue", "cost_of_goods"]);

export const SALE_COLUMN_TYPES: Column[] = SALE_COLUMNS.map(([name]) => {
  if (name === "quantity") return col(name, "integer", "count");
  if (MONEY.has(name)) return col(name, "number", "currency");
  if (name === "sale_timestamp") return col(name, "timestamp");
  if (name === "sale_date") return col(name, "date");
  return col(name, "string");
});

/** Sale rows with money as numbers (the database sends exact text). */
export function saleValues(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...row };
  for (const name of MONEY)
    out[name] = row[name] === null || row[name] === undefined ? null : Number(row[name]);
  return out;
}

export function parseBreakdown(query: Params, ctx: ReportContext): BreakdownRequest {
  known(query, PARAMS);
  const by = parseBy(query.by);
  const filters = parseFilters(query);
  const range = parseRange(query, ctx.today, MAX_BREAKDOWN_DAYS);
  const { limit, offset } = parsePage(query);
  const order = parseOrder(query.order, "desc");
  if (by === "sale") {
    if (query.metric !== undefined) parseMetric(query.metric);
    const sort = parseChoice("sort", query.sort, Object.keys(SALE_SORTS) as SaleSort[], "sale_timestamp");
    return { kind: "sales", filters, range, sort, order, limit, offset };
  }
  const dim = DIMENSIONS.get(by)!;
  if (filters.some(([name]) => name === by)) {
    throw new ApiError(
      400,
      "invalid_filter",
      `Breaking ${by} down by itself gives one member; drill to by=${drillNext(by)} instead.`,
    );
  }
  const metric = parseMetric(query.metric ?? "revenue");
  const sort = parseChoice("sort", query.sort, ["value", "member"] as const, "value");
  const request = { metric, by: dim, filters, range };
  return { kind: "members", ...request, sort, order, limit, offset, path: breakdownPath(request) };
}

export const breakdownReport: Report<BreakdownRequest> = {
  name: "breakdown",
  params: PARAMS,
  parse: parseBreakdown,
  // Every change to a sale touches the whole-business slice of its day, so its version covers any
  // member of any dimension; read from slices, the dimension's pending slices are listed too.
  version: (db: Db, r: BreakdownRequest) =>
    r.kind === "members" && r.path.kind === "combo"
      ? readComboVersion(db, r.range.to, r.path, Boolean(r.metric.slice?.recomputed), r.range.from)
      : readVersion(
          db,
          r.range.to,
          undefined,
          r.kind === "members" && r.path.kind === "slice" && r.metric.slice?.recomputed
            ? { dim: r.path.dim, from: r.range.from }
            : undefined,
        ),
  async run(db, r, _v, ctx) {
    const page = { limit: r.limit, offset: r.offset };
    const common = {
      from: r.range.from,
      to: r.range.to,
      filters: filterObject(r.filters),
      sort: r.sort,
      order: r.order,
      currency: ctx.currency,
    };
    if (r.kind === "sales") {
      const { rows, total } = await readSales(db, { ...r, withTotal: true });
      return columnar(SALE_COLUMN_TYPES, rows.map(saleValues), {
        by: "sale",
        ...common,
        ...page,
        total,
        next_offset: nextOffset(r, rows.length, total),
        drill: null,
        source: "silver",
      });
    }
    const { rows, total } = await readBreakdown(db, r, r.path);
    const m = r.metric;
    const columns = [
      col("member", "string"),
      col("label", "string"),
      col(m.name, m.format === "integer" ? "integer" : "number", m.unit),
      col("share_pct", "number", "percent"),
    ];
    const next = drillNext(r.by.name);
    return columnar(
      columns,
      rows.map((row) => ({
        member: row.member,
        label: row.label,
        [m.name]: row.value,
        share_pct: row.share_pct,
      })),
      {
        by: r.by.name,
        metric: m.name,
        ...common,
        ...page,
        total,
        next_offset: nextOffset(r, rows.length, total),
        // Drilling into member M: keep these filters, add `${filter}=M`, ask by `next`.
        drill: next ? { filter: r.by.name, next } : null,
        source: r.path.kind,
      },
    );
  },
};

function nextOffset(r: { offset: number }, returned: number, total: number | null): number | null {
  return total !== null && r.offset + returned < total ? r.offset + returned : null;
}

/**
 * The same members request without its page: every member in the request's order (the SQL's
 * `LIMIT` then keeps them all). A caller reading every page computes the breakdown once with it and
 * cuts each page from the result with `pageOf` — what `/breakdown` returns for that page.
 */
export function everyMember(r: Extract<BreakdownRequest, { kind: "members" }>): BreakdownRequest {
  return { ...r, limit: Number.MAX_SAFE_INTEGER, offset: 0 };
}

/** Page `r` (its `limit` and `offset`) of a table computed for `everyMember(r)`. */
export function pageOf(every: Table, r: { limit: number; offset: number }): Table {
  const data = every.data.map((column) => column.slice(r.offset, r.offset + r.limit));
  const returned = data[0]?.length ?? 0;
  // As the SQL counts: a page past the end has no row to carry the count.
  const total = returned === 0 && r.offset > 0 ? null : (every.meta.total as number);
  return {
    columns: every.columns,
    data,
    meta: {
      ...every.meta,
      limit: r.limit,
      offset: r.offset,
      total,
      next_offset: nextOffset(r, returned, total),
    },
  };
}
