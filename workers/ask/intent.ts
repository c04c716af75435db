/**
 * The semantic query a question compiles to — the same names the KPI API takes (metrics,
 * dimensions, grains of `workers/kpi/model.ts`), never SQL. The parser produces it; an optional
 * language model's output is held to the same zod schema before anything runs.
 */
import { z } from "zod";
import { isCalendarDate } from "../kpi/calendar.ts";
import { DIMENSIONS, GRAINS, METRICS } from "../kpi/model.ts";

const date = z.string().refine(isCalendarDate, "a calendar date written YYYY-MM-DD");
const range = z.object({ from: date, to: date }).refine((r) => r.from <= r.to, "from must not be after to");
const metricName = z.string().refine((m) => METRICS.has(m), "a metric of the model");
const dimensionName = z.string().refine((d) => DIMENSIONS.has(d), "a dimension of the model");

export const SHAPES = [
  "value",
  "compare",
  "members",
  "share",
  "rank",
  "breakdown",
  "trend",
  "flags",
  "anomalies",
  "why",
] as const;

/** Ranking over calendar buckets ("best day this month") rather than a dimension. */
export const TIME_BUCKETS = ["day", "week", "month"] as const;

export const FLAGS = {
  volatility_flag: ["HIGH_VOLATILITY", "MODERATE_VOLATILITY", "STABLE"],
  performance_flag: ["UNDERPERFORMING", "OVERPERFORMING", "NORMAL"],
} as const;

export const semanticQuery = z
  .object({
    shape: z.enum(SHAPES),
    metrics: z.array(metricName).min(1).max(12),
    /** Dimension → member (`{ region: "EMEA" }`), one member per dimension like the API. */
    filters: z
      .record(z.string(), z.string().min(1).max(100))
      .refine(
        (f) => Object.keys(f).every((k) => DIMENSIONS.has(k)),
        "filters must name dimensions of the model",
      ),
    range,
    compare: z.object({ mode: z.enum(["previous_period", "previous_year", "range"]), range }).optional(),
    by: z.union([dimensionName, z.enum(TIME_BUCKETS)]).optional(),
    /** Members of `by` compared with each other ("EMEA vs APAC"). */
    members: z.array(z.string().min(1).max(100)).max(20).optional(),
    grain: z
      .string()
      .refine((g) => GRAINS.has(g), "a grain of the model")
      .optional(),
    sort: z.enum(["asc", "desc"]).optional(),
    limit: z.number().int().min(1).max(100).optional(),
    /** The way a why-question says the metric moved ("why did revenue drop?"). */
    moved: z.enum(["up", "down"]).optional(),
    flag: z
      .object({
        column: z.enum(["volatility_flag", "performance_flag"]),
        values: z.array(z.string()).min(1),
        /** "was yesterday's volatility high?" asks about one day; "which days…" lists them. */
        question: z.enum(["was", "which"]),
      })
      .optional(),
  })
  .strict();

export type SemanticQuery = z.infer<typeof semanticQuery>;
export type Range = SemanticQuery["range"];
