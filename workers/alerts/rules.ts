/**
 * What an alert rule and a channel are: the zod schemas the admin API validates with and the room
 * reads its cached rules through, so a stored rule is always one the engine understands.
 */
import { z } from "zod";
import { DETECTORS } from "./detect/index.ts";

export const ID = /^[a-z0-9][a-z0-9_-]{0,49}$/;
export const idSchema = z.string().regex(ID, "1–50 characters: lowercase letters, digits, - and _");

/**
 * Metrics of the semantic model a rule can watch live. Additive ones are known per minute; unique
 * customers only per day (the room recomputes them per day), so they take day-so-far conditions.
 */
export const RULE_METRICS = [
  "revenue",
  "net_revenue",
  "orders",
  "quantity",
  "avg_order_value",
  "unique_customers",
] as const;
export type RuleMetric = (typeof RULE_METRICS)[number];

const member = z.string().min(1).max(100);
export const filtersSchema = z
  .object({ region: member, segment: member, category: member })
  .partial()
  .strict()
  .refine((f) => Object.keys(f).length <= 1, {
    message: "at most one of region, segment, category (the live room keeps one dimension per slice)",
  });
export type RuleFilters = z.infer<typeof filtersSchema>;

const anomaly = z.object({
  type: z.literal("anomaly"),
  detector: z.enum(DETECTORS).default("seasonal"),
  sensitivity: z.enum(["low", "medium", "high"]).default("medium"),
});
const threshold = z.object({
  type: z.literal("threshold"),
  grain: z.enum(["minute", "hour", "day_so_far"]),
  op: z.enum([">", "<"]),
  value: z.number().finite(),
});
const change = z.object({
  type: z.literal("change"),
  grain: z.enum(["hour", "day_so_far"]),
  vs: z.enum(["previous_period", "same_time_last_week"]),
  op: z.enum([">", "<"]),
  pct: z.number().finite().min(-100).max(100_000),
});
const noData = z.object({ type: z.literal("no_data"), minutes: z.number().int().min(1).max(1440) });

export const conditionSchema = z.discriminatedUnion("type", [anomaly, threshold, change, noData]);
export type Condition = z.infer<typeof conditionSchema>;

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM, 24-hour");

export const ruleInputSchema = z
  .object({
    name: z.string().min(1).max(200),
    metric: z.enum(RULE_METRICS),
    filters: filtersSchema.default({}),
    /** Evaluate the rule on every member of a dimension (each region…) rather than one slice. */
    per: z.enum(["region", "segment", "category"]).nullable().default(null),
    condition: conditionSchema,
    channels: z.array(idSchema).max(10).default([]),
    /** Consecutive breaching evaluations before the alert fires (hysteresis on the way up). */
    for_updates: z.number().int().min(1).max(100).default(2),
    /** Consecutive clear evaluations before a firing alert resolves (hysteresis on the way down). */
    resolve_after: z.number().int().min(1).max(1000).default(3),
    /** Seconds after an incident resolves during which the rule cannot fire again on that slice. */
    cooldown_s: z.number().int().min(0).max(86_400).default(300),
    /** Repeat a still-firing alert every this many seconds; 0 = never. */
    renotify_s: z
      .number()
      .int()
      .refine((s) => s === 0 || (s >= 60 && s <= 604_800), "0 (never) or 60–604800 seconds")
      .default(0),
    /** Orders the baseline must expect in the evaluated window before anything can page. */
    min_volume: z.number().min(0).max(1e9).default(10),
    /** Times of day (reporting timezone) when the rule still tracks but does not notify. */
    quiet_hours: z.object({ from: hhmm, to: hhmm }).strict().nullable().default(null),
    enabled: z.boolean().default(true),
  })
  .strict()
  .superRefine((rule, ctx) => {
    if (rule.per && Object.keys(rule.filters).length > 0) {
      ctx.addIssue({
        code: "custom",
        path: ["per"],
        message: "per and filters cannot be combined (slices have one dimension)",
      });
    }
    const c = rule.condition;
    if (rule.metric === "unique_customers" && !(c.type === "threshold" && c.grain === "day_so_far")) {
      ctx.addIssue({
        code: "custom",
        path: ["condition"],
        message:
          "unique_customers is known per day only: use a threshold on grain day_so_far (or watch orders)",
      });
    }
  });

export type RuleInput = z.input<typeof ruleInputSchema>;
export type Rule = z.output<typeof ruleInputSchema> & { id: string; version: number };

const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), "an http:// or https:// URL");

export const channelInputSchema = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("webhook"),
      url: httpUrl,
      secret: z
        .string()
        .regex(/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/, "a whsec_ secret (base64 of at least 24 bytes)")
        .optional(),
    })
    .strict(),
  z.object({ type: z.literal("slack"), url: httpUrl }).strict(),
  z
    .object({
      type: z.literal("pagerduty"),
      routing_key: z
        .string()
        .regex(/^[A-Za-z0-9]{32}$/, "the 32-character integration key of an Events API v2 service"),
      url: httpUrl.default("https://events.pagerduty.com/v2/enqueue"),
    })
    .strict(),
  z.object({ type: z.literal("email"), to: z.array(z.string().email()).min(1).max(20) }).strict(),
]);
export type ChannelInput = z.input<typeof channelInputSchema>;
export type ChannelConfig = z.output<typeof channelInputSchema>;

export interface Channel {
  id: string;
  config: ChannelConfig;
  /** Webhooks only. */
  secret: string | null;
  disabledAt: string | null;
}

/** zod issues as "path: message" lines an admin can act on. */
export function issueLines(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.map(String).join(".") || "body"}: ${i.message}`);
}
