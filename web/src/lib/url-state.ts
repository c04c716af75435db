/**
 * The dashboard's view as URL state: the date range (a preset or custom dates), the comparison and
 * the filters, so a view can be bookmarked or shared. Pure: parsing never throws (a hand-edited or
 * stale link falls back to defaults) and serialising leaves defaults out, so links stay short.
 *
 * Presets resolve against `today`, the reporting day (YYYY-MM-DD), which the caller supplies: the
 * reporting timezone is the server's, not the browser's.
 */

export const PRESETS = ["today", "7d", "30d", "90d", "qtd", "ytd", "last_year", "custom"] as const;
export type Preset = (typeof PRESETS)[number];

export const PRESET_LABELS: Record<Preset, string> = {
  today: "Today",
  "7d": "Last 7 days",
  "30d": "Last 30 days",
  "90d": "Last 90 days",
  qtd: "Quarter to date",
  ytd: "Year to date",
  last_year: "Last year",
  custom: "Custom",
};

export type Compare = "previous_period" | "previous_year";
export const COMPARES: readonly Compare[] = ["previous_period", "previous_year"];

/** The dimensions a view can be filtered by, in the order the filter bar shows them. */
export const FILTER_DIMENSIONS = ["region", "segment", "category", "sales_rep"] as const;
export type FilterDimension = (typeof FILTER_DIMENSIONS)[number];
export type ViewFilters = Partial<Record<FilterDimension, string>>;

/** The drill-down's dimensions: the filter dimensions and products. */
export const DRILL_DIMENSIONS = [...FILTER_DIMENSIONS, "product"] as const;
export type DrillDimension = (typeof DRILL_DIMENSIONS)[number];

/** One level opened in the drill-down: the member clicked at the level of `by`. */
export interface DrillStep {
  by: DrillDimension;
  member: string;
}

export interface ViewState {
  preset: Preset;
  /** Only for `custom`: the inclusive range. */
  from?: string;
  to?: string;
  compare: Compare;
  filters: ViewFilters;
  /** The drill-down's path from its top level (`drill=region:EMEA&drill=segment:SMB`). */
  drill: DrillStep[];
}

export interface DateRange {
  from: string;
  to: string;
}

export const DEFAULT_VIEW: ViewState = { preset: "30d", compare: "previous_period", filters: {}, drill: [] };

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

export function isIsoDay(value: string | null | undefined): value is string {
  if (!value || !ISO_DAY.test(value)) return false;
  const ms = Date.parse(`${value}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().startsWith(value);
}

export function parseView(search: string): ViewState {
  const params = new URLSearchParams(search);
  const range = params.get("range");
  const from = params.get("from");
  const to = params.get("to");
  const compare = params.get("compare");
  const filters: ViewFilters = {};
  for (const name of FILTER_DIMENSIONS) {
    const value = params.get(name);
    // An empty sales_rep means "sales without a rep" to the API; elsewhere empty means no filter.
    if (value !== null && (value !== "" || name === "sales_rep") && value.length <= 100)
      filters[name] = value;
  }
  const view: ViewState = {
    preset: DEFAULT_VIEW.preset,
    compare: COMPARES.includes(compare as Compare) ? (compare as Compare) : DEFAULT_VIEW.compare,
    filters,
    drill: parseDrill(params.getAll("drill"), filters),
  };
  if (range === "custom" || (range === null && (from !== null || to !== null))) {
    if (isIsoDay(from) && isIsoDay(to) && from <= to) return { ...view, preset: "custom", from, to };
    return view;
  }
  if (PRESETS.includes(range as Preset)) view.preset = range as Preset;
  return view;
}

export function serializeView(view: ViewState): string {
  const params = new URLSearchParams();
  if (view.preset === "custom" && view.from && view.to) {
    params.set("from", view.from);
    params.set("to", view.to);
  } else if (view.preset !== DEFAULT_VIEW.preset && view.preset !== "custom") {
    params.set("range", view.preset);
  }
  if (view.compare !== DEFAULT_VIEW.compare) params.set("compare", view.compare);
  for (const name of FILTER_DIMENSIONS) {
    const value = view.filters[name];
    if (value !== undefined) params.set(name, value);
  }
  for (const step of view.drill) params.append("drill", `${step.by}:${step.member}`);
  const text = params.toString();
  return text ? `?${text}` : "";
}

/**
 * A drill-down path from the URL: each step `dimension:member`; it stops at the first step that is
 * malformed, repeats a dimension or drills into one the view already filters (the API would refuse).
 */
function parseDrill(values: string[], filters: ViewFilters): DrillStep[] {
  const steps: DrillStep[] = [];
  for (const value of values) {
    const colon = value.indexOf(":");
    const by = value.slice(0, colon) as DrillDimension;
    const member = value.slice(colon + 1);
    const taken = steps.some((s) => s.by === by) || (by !== "product" && filters[by] !== undefined);
    if (colon < 0 || !DRILL_DIMENSIONS.includes(by) || member.length > 100 || taken) break;
    steps.push({ by, member });
  }
  return steps;
}

export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** The inclusive range a view covers on `today`. */
export function resolveRange(view: ViewState, today: string): DateRange {
  const [year, month] = today.split("-").map(Number) as [number, number];
  switch (view.preset) {
    case "custom":
      return view.from && view.to
        ? { from: view.from, to: view.to }
        : { from: addDays(today, -29), to: today };
    case "today":
      return { from: today, to: today };
    case "7d":
      return { from: addDays(today, -6), to: today };
    case "30d":
      return { from: addDays(today, -29), to: today };
    case "90d":
      return { from: addDays(today, -89), to: today };
    case "qtd": {
      const quarterMonth = Math.floor((month - 1) / 3) * 3 + 1;
      return { from: `${year}-${String(quarterMonth).padStart(2, "0")}-01`, to: today };
    }
    case "ytd":
      return { from: `${year}-01-01`, to: today };
    case "last_year":
      return { from: `${year - 1}-01-01`, to: `${year - 1}-12-31` };
  }
}

/** Where the reporting timezone learnt from the API is remembered. */
export const TIMEZONE_KEY = "pulse-timezone";

/** The reporting timezone as last learnt (UTC until the API has told). */
export function reportingTimeZone(): string {
  try {
    return localStorage.getItem(TIMEZONE_KEY) ?? "UTC";
  } catch {
    return "UTC";
  }
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** Today in `timeZone` (an IANA name) as YYYY-MM-DD; UTC when the name is unknown to the browser. */
export function dayIn(now: number, timeZone: string): string {
  // UTC needs no time-zone data; the first Intl formatter with a zone costs tens of milliseconds
  // of a cold page's start, and one per call added up on every render.
  if (timeZone === "UTC") return new Date(now).toISOString().slice(0, 10);
  let format = dayFormats.get(timeZone);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat("en-CA", {
        timeZone,
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
      });
    } catch {
      return dayIn(now, "UTC");
    }
    dayFormats.set(timeZone, format);
  }
  return format.format(now);
}

/** The query-string parameters of the KPI API for a view's range and filters. */
export function apiParams(range: DateRange, filters: ViewFilters): Record<string, string> {
  const params: Record<string, string> = { from: range.from, to: range.to };
  for (const name of FILTER_DIMENSIONS) {
    const value = filters[name];
    if (value !== undefined) params[name] = value;
  }
  return params;
}

/**
 * The live room's filter for a view, when it has one: the room slices by at most one of region,
 * segment or category; a sales rep or a combination is served by the API only (`null`).
 */
export function liveFilter(
  filters: ViewFilters,
): { region?: string; segment?: string; category?: string } | null {
  const names = FILTER_DIMENSIONS.filter((n) => filters[n] !== undefined);
  if (names.length === 0) return {};
  const [name] = names;
  if (names.length > 1 || name === "sales_rep" || name === undefined) return null;
  return { [name]: filters[name] };
}
