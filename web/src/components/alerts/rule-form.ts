/**
 * The rule editor's form, as plain data (pure): a stored rule → the form's fields, the fields → the
 * body `PUT /api/v1/alerts/rules/:id` takes, and what is wrong with them before anything is sent.
 * Settings the form does not show (cooldown, re-notify, quiet hours) are carried over untouched.
 */

export const METRICS = ["revenue", "net_revenue", "orders", "quantity", "avg_order_value"] as const;
export const DIMENSIONS = ["region", "segment", "category"] as const;
export type Dimension = (typeof DIMENSIONS)[number];
export type ConditionType = "anomaly" | "threshold" | "change" | "no_data";

export interface RuleForm {
  id: string;
  name: string;
  metric: string;
  /** "all" (whole business), "one" (one member of `dim`), "each" (every member of `dim`). */
  scope: "all" | "one" | "each";
  dim: Dimension;
  member: string;
  type: ConditionType;
  sensitivity: "low" | "medium" | "high";
  detector: string;
  grain: string;
  op: ">" | "<";
  value: string;
  vs: "previous_period" | "same_time_last_week";
  pct: string;
  minutes: string;
  channels: string[];
  forUpdates: string;
  resolveAfter: string;
  minVolume: string;
  enabled: boolean;
  /** Everything else the stored rule had, sent back as it was. */
  rest: Record<string, unknown>;
}

export interface StoredRule {
  id: string;
  name: string;
  metric: string;
  filters?: Record<string, string>;
  per?: string | null;
  condition: Record<string, unknown> & { type: string };
  channels?: string[];
  for_updates?: number;
  resolve_after?: number;
  min_volume?: number;
  enabled?: boolean;
  [key: string]: unknown;
}

export const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,49}$/;

export function emptyForm(channels: readonly string[]): RuleForm {
  return {
    id: "",
    name: "",
    metric: "revenue",
    scope: "all",
    dim: "region",
    member: "",
    type: "anomaly",
    sensitivity: "medium",
    detector: "seasonal",
    grain: "hour",
    op: "<",
    value: "",
    vs: "same_time_last_week",
    pct: "-30",
    minutes: "30",
    channels: [...channels],
    forUpdates: "2",
    resolveAfter: "3",
    minVolume: "10",
    enabled: true,
    rest: {},
  };
}

const str = (v: unknown, fallback: string) => (v === undefined || v === null ? fallback : String(v));

export function formOf(rule: StoredRule): RuleForm {
  const {
    id,
    name,
    metric,
    filters,
    per,
    condition: c,
    channels,
    for_updates,
    resolve_after,
    min_volume,
    enabled,
    version: _version,
    ...rest
  } = rule;
  const [filter] = Object.entries(filters ?? {});
  const base = emptyForm(channels ?? []);
  return {
    ...base,
    id,
    name,
    metric,
    scope: per ? "each" : filter ? "one" : "all",
    dim: ((per ?? filter?.[0] ?? "region") as Dimension) || "region",
    member: filter?.[1] ?? "",
    type: c.type as ConditionType,
    sensitivity: (c.sensitivity as RuleForm["sensitivity"]) ?? base.sensitivity,
    detector: str(c.detector, base.detector),
    grain: str(c.grain, c.type === "threshold" ? "hour" : base.grain),
    op: (c.op as RuleForm["op"]) ?? base.op,
    value: str(c.value, base.value),
    vs: (c.vs as RuleForm["vs"]) ?? base.vs,
    pct: str(c.pct, base.pct),
    minutes: str(c.minutes, base.minutes),
    forUpdates: str(for_updates, base.forUpdates),
    resolveAfter: str(resolve_after, base.resolveAfter),
    minVolume: str(min_volume, base.minVolume),
    enabled: enabled ?? true,
    rest,
  };
}

function conditionOf(f: RuleForm): Record<string, unknown> {
  switch (f.type) {
    case "anomaly":
      return { type: "anomaly", detector: f.detector, sensitivity: f.sensitivity };
    case "threshold":
      return { type: "threshold", grain: f.grain, op: f.op, value: Number(f.value) };
    case "change":
      return {
        type: "change",
        grain: f.grain === "day_so_far" ? "day_so_far" : "hour",
        vs: f.vs,
        op: f.op,
        pct: Number(f.pct),
      };
    case "no_data":
      return { type: "no_data", minutes: Number(f.minutes) };
  }
}

/** The body of `PUT /api/v1/alerts/rules/:id` (and of a draft preview). */
export function bodyOf(f: RuleForm): Record<string, unknown> {
  return {
    ...f.rest,
    name: f.name.trim(),
    metric: f.metric,
    filters: f.scope === "one" ? { [f.dim]: f.member.trim() } : {},
    per: f.scope === "each" ? f.dim : null,
    condition: conditionOf(f),
    channels: f.channels,
    for_updates: Number(f.forUpdates),
    resolve_after: Number(f.resolveAfter),
    min_volume: Number(f.minVolume),
    enabled: f.enabled,
  };
}

const isNumber = (s: string) => s.trim() !== "" && Number.isFinite(Number(s));
const isWhole = (s: string, min: number) => isNumber(s) && Number.isInteger(Number(s)) && Number(s) >= min;

/** What to fix before saving, by field ({} when the form is fine). The server checks again. */
export function problemsOf(f: RuleForm): Partial<Record<keyof RuleForm, string>> {
  const p: Partial<Record<keyof RuleForm, string>> = {};
  if (!ID_PATTERN.test(f.id))
    p.id = "1–50 characters: lowercase letters, digits, - and _ (starting with a letter or digit).";
  if (f.name.trim() === "") p.name = "Give the rule a name people will read in the alert.";
  if (f.scope === "one" && f.member.trim() === "") p.member = `Which ${f.dim}?`;
  if (f.type === "threshold" && !isNumber(f.value)) p.value = "A number.";
  if (f.type === "change" && !isNumber(f.pct)) p.pct = "A percentage, e.g. -30.";
  if (f.type === "no_data" && !isWhole(f.minutes, 1)) p.minutes = "Whole minutes, 1 or more.";
  if (!isWhole(f.forUpdates, 1)) p.forUpdates = "Whole number, 1 or more.";
  if (!isWhole(f.resolveAfter, 1)) p.resolveAfter = "Whole number, 1 or more.";
  if (!isNumber(f.minVolume) || Number(f.minVolume) < 0) p.minVolume = "0 or more orders.";
  return p;
}

/** The preview answer's series as uPlot columns: time, observed, expected, and breaches (else null). */
export function previewColumns(series: {
  t: number[];
  observed: (number | null)[];
  expected: (number | null)[];
  breach: boolean[];
}): [number[], (number | null)[], (number | null)[], (number | null)[]] {
  return [
    series.t,
    series.observed,
    series.expected,
    series.observed.map((v, i) => (series.breach[i] ? v : null)),
  ];
}
