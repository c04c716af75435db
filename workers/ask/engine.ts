/**
 * The one way an answer gets numbers: the KPI API's own reports (`workers/kpi/reports/`), called
 * with the same query parameters their endpoints take — parsed and validated by the same code — so
 * an answer equals what `/api/v1/query`, `/breakdown` and `/kpis/daily|advanced` return, and each
 * call can be shown as the link that returns it. The SQL each report sends is recorded for the
 * answer's sources.
 */
import type { Db } from "../db/client.ts";
import { cacheGet, cachePut, etagOf } from "../kpi/cache.ts";
import { MODEL_VERSION } from "../kpi/model.ts";
import type { Params } from "../kpi/params.ts";
import { type BreakdownRequest, breakdownReport, everyMember, pageOf } from "../kpi/reports/breakdown.ts";
import { advancedReport, dailyReport } from "../kpi/reports/daily.ts";
import { queryReport } from "../kpi/reports/query.ts";
import type { Report, ReportContext } from "../kpi/reports/report.ts";
import type { DataVersion, Freshness } from "../kpi/store.ts";
import type { Table } from "../kpi/table.ts";

const REPORTS = {
  query: { report: queryReport, path: "/api/v1/query" },
  breakdown: { report: breakdownReport, path: "/api/v1/breakdown" },
  daily: { report: dailyReport, path: "/api/v1/kpis/daily" },
  advanced: { report: advancedReport, path: "/api/v1/kpis/advanced" },
} as const;

export type ReportName = keyof typeof REPORTS;

export interface Statement {
  sql: string;
  params: unknown[];
}

interface Computed {
  table: Table;
  statements: Statement[];
}

export interface Call {
  endpoint: string;
  table: Table;
  freshness: Freshness;
  statements: Statement[];
}

/** `db` with its `query` replaced (the reports only ever call `query`). */
function withQuery(db: Db, query: (text: string, params?: unknown[]) => unknown): Db {
  return new Proxy(db, {
    get(target, property) {
      if (property === "query") return query;
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** `db` with every statement it runs recorded. */
function recording(db: Db): { db: Db; statements: Statement[] } {
  const statements: Statement[] = [];
  const proxy = withQuery(db, (text, params = []) => {
    statements.push({ sql: text.replace(/\n\s+/g, "\n  ").trim(), params });
    return db.query(text, params);
  });
  return { db: proxy, statements };
}

/** `db` answering a repeated statement (same text and parameters) from its first result. */
function memoized(db: Db): Db {
  const seen = new Map<string, unknown>();
  return withQuery(db, (text, params = []) => {
    const key = `${text}\u0000${JSON.stringify(params)}`;
    if (!seen.has(key)) seen.set(key, db.query(text, params));
    return seen.get(key);
  });
}

/**
 * Runs reports for one answer. With `waitUntil` (a request's), each report's table and SQL are kept
 * in the edge cache under a key that includes the data version, like the KPI endpoints' answers:
 * asking again costs the version lookup until data the answer depends on changes.
 */
export class Engine {
  readonly db: Db;
  readonly ctx: ReportContext;
  readonly waitUntil: ((p: Promise<unknown>) => void) | undefined;
  /** The reports' data-version lookups, each read once per answer (a why-question repeats them). */
  private readonly versions: Db;
  /** Reports computed for this answer, by request and version (pages of one breakdown share one). */
  private readonly computed = new Map<string, Promise<Computed>>();
  /** Calls made, with the order they were asked in (reports may run concurrently). */
  private readonly made: { order: number; call: Call }[] = [];
  private asked = 0;
  constructor(db: Db, ctx: ReportContext, waitUntil?: (p: Promise<unknown>) => void) {
    this.db = db;
    this.ctx = ctx;
    this.waitUntil = waitUntil;
    this.versions = memoized(db);
  }

  /**
   * Runs report `name` with endpoint query `params` (a 400 from its parser is thrown as is).
   * `everyPage`: the caller reads a breakdown page by page to the end — the members are computed
   * once for all pages (`everyMember`) and each call's table is its page, as `/breakdown` returns it.
   */
  async run(name: ReportName, params: Params, options: { everyPage?: boolean } = {}): Promise<Call> {
    const order = this.asked++;
    const { report, path } = REPORTS[name] as { report: Report<unknown>; path: string };
    const clean = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined && v !== ""));
    const request = report.parse(clean, this.ctx);
    const version = await report.version(this.versions, request);
    const endpoint = `${path}?${new URLSearchParams(clean).toString()}`;
    const paged = options.everyPage && name === "breakdown" ? (request as BreakdownRequest) : undefined;
    let computed: Computed;
    if (paged?.kind === "members") {
      const every = await this.compute(report, everyMember(paged), version);
      computed = { table: pageOf(every.table, paged), statements: every.statements };
    } else {
      computed = await this.compute(report, request, version);
    }
    const call = {
      endpoint,
      table: computed.table,
      freshness: version.freshness,
      statements: computed.statements,
    };
    this.made.push({ order, call });
    return call;
  }

  /** The calls this answer made, in the order they were asked. */
  get calls(): Call[] {
    return [...this.made].sort((a, b) => a.order - b.order).map((m) => m.call);
  }

  /** A report's table and SQL: from this answer, the edge cache, or the database. */
  private compute(report: Report<unknown>, request: unknown, version: DataVersion): Promise<Computed> {
    const id = `${report.name}\u0000${JSON.stringify(request)}\u0000${version.key}`;
    let pending = this.computed.get(id);
    if (!pending) {
      pending = this.computeOnce(report, request, version);
      this.computed.set(id, pending);
    }
    return pending;
  }

  private async computeOnce(
    report: Report<unknown>,
    request: unknown,
    version: DataVersion,
  ): Promise<Computed> {
    const key = await etagOf([
      "ask",
      report.name,
      JSON.stringify(request),
      version.key,
      MODEL_VERSION,
      this.ctx.timeZone,
      this.ctx.currency,
    ]);
    const cached = this.waitUntil ? await cacheGet(key) : undefined;
    // Written below by this same code, under a key that changes with the data.
    if (cached !== undefined) return JSON.parse(cached) as Computed;
    const recorder = recording(this.db);
    const computed = {
      table: await report.run(recorder.db, request, version, this.ctx),
      statements: recorder.statements,
    };
    if (this.waitUntil) cachePut(this.waitUntil, key, JSON.stringify(computed), "application/json");
    return computed;
  }
}

/** Rows of a columnar table as objects. */
export function rowsOf(table: Pick<Table, "columns" | "data">): Record<string, unknown>[] {
  const n = table.data[0]?.length ?? 0;
  return Array.from({ length: n }, (_, i) =>
    Object.fromEntries(table.columns.map((c, j) => [c.name, table.data[j]![i]])),
  );
}

/** Tables the recorded SQL read (named for the answer's sources). */
export function tablesOf(statements: Statement[]): string[] {
  const known = [
    "kpi_day_slice",
    "kpi_day_combo",
    "silver_sales_clean",
    "customer_first_sale",
    "dim_product",
    "dim_time",
  ];
  return known.filter((t) => statements.some((s) => new RegExp(`\\b${t}\\b`).test(s.sql)));
}
