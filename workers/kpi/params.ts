/**
 * Query-string parsing for the KPI APIs (pure). Every mistake is a 400 in the one error shape that
 * says what to send instead: bad dates, ranges over a grain's limit, unknown metrics, dimensions,
 * grains and parameters (listing the valid ones) — a misspelt filter is an error, never ignored.
 */
import { z } from "zod";
import { ApiError } from "../http/errors.ts";
import { addDays, daysBetween, isCalendarDate } from "./calendar.ts";
import { DIMENSIONS, FILTER_NAMES, GRAINS, type Grain, METRICS, type Metric } from "./model.ts";

export type Params = Record<string, string>;

export interface Range {
  from: string;
  to: string;
}

/** Dimension name → member, in the model's order. */
export type Filters = [string, string][];

/** Earliest and latest dates a request may name (the time dimension's calendar is 1990–2060). */
export const EARLIEST = "1900-01-01";
export const LATEST = "2099-12-31";

const list = (names: Iterable<string>) => [...names].join(", ");

/** Rejects parameters the endpoint does not know, so a typo never silently widens a query. */
export function known(query: Params, allowed: readonly string[]): Params {
  const unknown = Object.keys(query).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    throw new ApiError(
      400,
      "unknown_parameter",
      `Unknown parameter ${unknown.map((u) => `"${u}"`).join(", ")}; this endpoint takes ${list(allowed)}.`,
      [...allowed],
    );
  }
  return query;
}

function date(name: string, value: string): string {
  if (!isCalendarDate(value)) {
    throw new ApiError(
      400,
      "invalid_date",
      `${name} must be a calendar date written YYYY-MM-DD (got "${value}").`,
    );
  }
  if (value < EARLIEST || value > LATEST) {
    throw new ApiError(
      400,
      "invalid_date",
      `${name} must be between ${EARLIEST} and ${LATEST} (got ${value}).`,
    );
  }
  return value;
}

/**
 * `from`/`to` (inclusive). Without them: the 30 days up to `today`. Over `maxDays` is a 400 that
 * says how long a range may be.
 */
export function parseRange(query: Params, today: string, maxDays: number, what = "this endpoint"): Range {
  const to = query.to !== undefined ? date("to", query.to) : today;
  const from = query.from !== undefined ? date("from", query.from) : addDays(to, -29);
  if (from > to) throw new ApiError(400, "invalid_range", `from (${from}) must not be after to (${to}).`);
  const days = daysBetween(from, to) + 1;
  if (days > maxDays) {
    throw new ApiError(
      400,
      "range_too_large",
      `The range spans ${days} days; ${what} allows at most ${maxDays}. Narrow from/to or use a coarser grain.`,
    );
  }
  return { from, to };
}

export function parseFilters(query: Params): Filters {
  const filters: Filters = [];
  for (const name of FILTER_NAMES) {
    const value = query[name];
    if (value === undefined) continue;
    if (value === "" && name !== "sales_rep") {
      throw new ApiError(
        400,
        "invalid_filter",
        `${name} must not be empty; leave it out to include every ${name}.`,
      );
    }
    if (value.length > 100)
      throw new ApiError(400, "invalid_filter", `${name} must be at most 100 characters.`);
    filters.push([name, value]);
  }
  return filters;
}

export function parseMetric(name: string): Metric {
  const m = METRICS.get(name);
  if (!m) {
    throw new ApiError(
      400,
      "unknown_metric",
      `Unknown metric "${name}"; valid metrics: ${list(METRICS.keys())}.`,
      [...METRICS.keys()],
    );
  }
  return m;
}

export function parseMetrics(value: string | undefined): Metric[] {
  if (!value) {
    throw new ApiError(
      400,
      "missing_metrics",
      `Name one or more metrics, e.g. metrics=revenue,orders; valid: ${list(METRICS.keys())}.`,
      [...METRICS.keys()],
    );
  }
  const names = [...new Set(value.split(",").map((n) => n.trim()))];
  if (names.length > 12) throw new ApiError(400, "too_many_metrics", "Ask for at most 12 metrics at once.");
  return names.map(parseMetric);
}

export function parseGrain(value: string | undefined): Grain {
  const g = GRAINS.get(value ?? "day");
  if (!g) {
    throw new ApiError(
      400,
      "unknown_grain",
      `Unknown grain "${value}"; valid grains: ${list(GRAINS.keys())}.`,
      [...GRAINS.keys()],
    );
  }
  return g;
}

/** A breakdown's `by`: any dimension, or `sale` (the underlying sales, the end of a drill-down). */
export function parseBy(value: string | undefined): string {
  const valid = [...DIMENSIONS.keys(), "sale"];
  if (!value || !valid.includes(value)) {
    throw new ApiError(
      400,
      "unknown_dimension",
      `${value ? `Unknown dimension "${value}"` : "by is required"}; valid: ${list(valid)}.`,
      valid,
    );
  }
  return value;
}

export type Compare = "previous_period" | "previous_year";

export function parseCompare(value: string | undefined): Compare | undefined {
  if (value === undefined || value === "") return undefined;
  if (value !== "previous_period" && value !== "previous_year") {
    throw new ApiError(
      400,
      "invalid_compare",
      `compare must be previous_period or previous_year (got "${value}").`,
      ["previous_period", "previous_year"],
    );
  }
  return value;
}

const page = z.object({
  limit: z.coerce.number().int().min(1).max(1_000).default(50),
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
});

export function parsePage(query: Params): { limit: number; offset: number } {
  const parsed = page.safeParse({ limit: query.limit, offset: query.offset });
  if (!parsed.success) {
    throw new ApiError(
      400,
      "invalid_page",
      "limit must be an integer from 1 to 1000 and offset an integer ≥ 0.",
    );
  }
  return parsed.data;
}

export function parseOrder(value: string | undefined, fallback: "asc" | "desc"): "asc" | "desc" {
  if (value === undefined) return fallback;
  if (value !== "asc" && value !== "desc") {
    throw new ApiError(400, "invalid_order", `order must be asc or desc (got "${value}").`);
  }
  return value;
}

export function parseChoice<T extends string>(
  name: string,
  value: string | undefined,
  valid: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!valid.includes(value as T)) {
    throw new ApiError(400, `invalid_${name}`, `${name} must be one of ${list(valid)} (got "${value}").`, [
      ...valid,
    ]);
  }
  return value as T;
}
