/**
 * A report is what every KPI endpoint (and its CSV export) is: parse the query string (400s
 * here, before any I/O), find the data version it depends on (cheap), then compute the table.
 * The route layer adds caching, the envelope and the format around the same three steps.
 */
import type { Db } from "../../db/client.ts";
import { dayIn } from "../calendar.ts";
import type { Params } from "../params.ts";
import type { DataVersion } from "../store.ts";
import type { Table } from "../table.ts";

export interface ReportContext {
  timeZone: string;
  currency: string;
  /** Today in the reporting timezone (the default end of a range). */
  today: string;
}

export interface Report<P> {
  name: string;
  /** The query parameters it takes; any other is a 400. */
  params: readonly string[];
  parse(query: Params, ctx: ReportContext): P;
  version(db: Db, request: P): Promise<DataVersion>;
  run(db: Db, request: P, version: DataVersion, ctx: ReportContext): Promise<Table>;
}

/** Filters as an object for `meta` (`{ region: "EMEA" }`). */
export const filterObject = (filters: [string, string][]) => Object.fromEntries(filters);

export function reportContext(env: { REPORTING_TZ: string; REPORTING_CURRENCY?: string }): ReportContext {
  const timeZone = env.REPORTING_TZ || "UTC";
  return { timeZone, currency: env.REPORTING_CURRENCY || "USD", today: dayIn(Date.now(), timeZone) };
}
