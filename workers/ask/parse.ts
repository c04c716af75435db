/**
 * The deterministic question parser (pure): a question in plain English → the semantic query it
 * asks for, a clarifying question with candidates, or a refusal. Every word must be understood —
 * as a metric, dimension, member, grain, time phrase, a word of the question's shape, or filler —
 * or the question is not answered: a guess is never turned into a number.
 */
import { addDays } from "../kpi/calendar.ts";
import { DIMENSIONS, METRICS } from "../kpi/model.ts";
import { comparisonRange } from "../kpi/reports/query.ts";
import { guard } from "./guard.ts";
import { FLAGS, type Range, type SemanticQuery } from "./intent.ts";
import { count, Reading, readWords, SUPERLATIVES, type Words } from "./reading.ts";
import { normalize } from "./text.ts";
import { findTimes, lengthOf, type TimeMatch } from "./time.ts";
import {
  type Candidate,
  clarify,
  comparison,
  dimensionLabel,
  metricLabel,
  type Parsed,
  type Understood,
  understand,
} from "./understand.ts";
import { type Match, type Member, match, type Vocabulary } from "./vocabulary.ts";

export type { Candidate, Parsed };

export interface ParseContext {
  today: string;
  vocabulary: Vocabulary;
}

/** Parses `question` against the model and the data's members. */
export function parseQuestion(question: string, ctx: ParseContext): Parsed {
  const refusal = guard(question);
  if (refusal) return { status: "refused", ...refusal };
  const cased = normalize(question, true);
  const r = new Reading(cased.toLowerCase());
  if (r.tokens.length === 0)
    return { status: "refused", reason: "out_of_scope", message: "The question is empty." };
  const times = findTimes(r.text, ctx.today);
  if (times.some((t) => t.kind === "future")) {
    return {
      status: "refused",
      reason: "forecast",
      message: "Pulse reports what has happened, from recorded sales; it does not forecast the future.",
    };
  }
  for (const t of times) r.take(t.start, t.end);
  const words = readWords(r);
  const { matches, unknown } = match(
    ctx.vocabulary,
    r.tokens.map((t, i) => (r.taken[i] ? null : t)),
    cased.split(" "),
  );
  const u = understand(matches);
  if ("status" in u) return u;
  const problem = notUnderstood(u, unknown, times, words);
  if (problem) return problem;

  const assumptions: string[] = [];
  const metrics = chooseMetrics(u, matches, words, assumptions);
  if (!Array.isArray(metrics)) return metrics;
  const members = chooseFilters(u);
  if ("status" in members) return members;
  const by = chooseBy(u, members.filters);
  if (typeof by === "object") return by;
  const periods = times.filter((t) => t.kind === "period");
  const range = choosePeriod(periods, words, ctx.today, assumptions);
  const compare = comparison(
    periods,
    times.filter((t) => t.kind === "compare"),
    range,
    words,
  );
  if (compare && "status" in compare) return compare;
  const base = { metrics, filters: members.filters, range };
  const shaped = { u, words, r, compare, compared: members.compared, by, assumptions };
  return checkShapes(base, shaped) ?? rankShapes(base, shaped) ?? otherShapes(base, shaped);
}

interface Shaped {
  u: Understood;
  words: Words;
  r: Reading;
  compare: SemanticQuery["compare"];
  compared: { by: string; members: Member[] } | undefined;
  by: string | undefined;
  assumptions: string[];
}
type Base = Pick<SemanticQuery, "metrics" | "filters" | "range">;

function understood(query: SemanticQuery, assumptions: string[]): Parsed {
  return { status: "understood", query, assumptions };
}

const dimensionCandidates = (names: string[]): Candidate[] =>
  names.map((name) => ({ kind: "dimension", name, label: dimensionLabel(name) }));

/** Nothing about the data (a refusal), or words left over (a clarifying question). */
function notUnderstood(u: Understood, unknown: string[], times: TimeMatch[], w: Words): Parsed | undefined {
  const anything =
    u.metrics.length + u.dimensions.length + u.filters.size + u.grains.length + times.length > 0 ||
    w.why ||
    w.anomaly ||
    w.flagged ||
    w.bucket !== undefined ||
    w.topN !== undefined;
  if (!anything) {
    return {
      status: "refused",
      reason: "out_of_scope",
      message: "That does not look like a question about the sales data Pulse holds.",
    };
  }
  if (unknown.length === 0) return undefined;
  return clarify(
    `Pulse did not understand ${unknown.map((x) => `"${x}"`).join(", ")}. Name a metric (revenue, orders, customers…), a period and, if you like, a region, segment, category, product or sales rep.`,
  );
}

/**
 * The metrics asked for. "SMB customers" names a segment's customers, not the customer count, when
 * another metric is asked for; "how many sales" counts orders; without a metric, the one the words
 * imply ("most profitable", "busiest", "how many Zephyr Headphones") or revenue.
 */
function chooseMetrics(u: Understood, matches: Match[], w: Words, assumptions: string[]): string[] | Parsed {
  const afterSegment = (m: { start: number }) =>
    matches.some(
      (x) =>
        x.end === m.start && x.entries.some((e) => e.kind === "member" && e.member.dimension === "segment"),
    );
  const asked = u.metrics.filter(
    (m) => !(m.name === "unique_customers" && u.metrics.length > 1 && afterSegment(m)),
  );
  const metrics = [...new Set(asked.map((m) => (w.howMany && /^sales?$/.test(m.text) ? "orders" : m.name)))];
  if (metrics.length === 0) {
    const byDims = u.dimensions.filter((d) => !d.qualifier);
    if (w.howMany && byDims.length > 0 && !w.ranked) {
      return clarify(
        `Pulse counts orders, units and customers, not ${byDims[0]!.match.text}; which did you mean?`,
        [
          { kind: "metric", name: "orders", label: "Orders" },
          { kind: "metric", name: "quantity", label: "Units sold" },
        ],
      );
    }
    const implied = /profitable/.test(w.superlative)
      ? "gross_profit"
      : /busiest|slowest|quietest/.test(w.superlative)
        ? "orders"
        : !w.howMany
          ? "revenue"
          : u.filters.has("product")
            ? "quantity"
            : undefined;
    if (!implied) {
      return clarify(
        "How many of what? Orders, units or customers?",
        ["orders", "quantity", "unique_customers"].map((name) => ({
          kind: "metric",
          name,
          label: metricLabel(name),
        })),
      );
    }
    if (implied === "revenue" && !w.anomaly && !w.flagged) assumptions.push("No metric named: revenue.");
    metrics.push(implied);
  }
  if ((w.anomaly || w.flagged) && metrics.some((m) => m !== "revenue")) {
    return clarify(
      'Anomalies and the daily flags are computed on revenue; ask about revenue, e.g. "any revenue anomalies this week?"',
      [{ kind: "metric", name: "revenue", label: "Revenue" }],
    );
  }
  return metrics;
}

/** One member per dimension filters; several members of one dimension are compared side by side. */
function chooseFilters(
  u: Understood,
): { filters: Record<string, string>; compared: { by: string; members: Member[] } | undefined } | Parsed {
  const filters: Record<string, string> = {};
  let compared: { by: string; members: Member[] } | undefined;
  for (const [dim, members] of u.filters) {
    if (members.length === 1) filters[dim] = members[0]!.member;
    else if (compared)
      return clarify('Compare members of one dimension at a time, e.g. "EMEA vs APAC revenue".');
    else compared = { by: dim, members };
  }
  return { filters, compared };
}

/** The dimension to break down or rank by: a dimension named without a member beside it. */
function chooseBy(u: Understood, filters: Record<string, string>): string | undefined | Parsed {
  const byDims = [...new Set(u.dimensions.filter((d) => !d.qualifier).map((d) => d.name))];
  if (byDims.length > 1) {
    return clarify(
      `Pulse breaks a figure down by one dimension at a time: ${byDims.map(dimensionLabel).join(" or ")}?`,
      dimensionCandidates(byDims),
    );
  }
  const by = byDims[0];
  if (by && filters[by] !== undefined) {
    return clarify(
      `${dimensionLabel(by)} is already fixed to one member; break it down by another dimension (segment, category, product…)?`,
      dimensionCandidates([...DIMENSIONS.keys()].filter((d) => d !== by)),
    );
  }
  return by;
}

/** The period named first; without one, yesterday for why- and was-questions, else the last 30 days. */
function choosePeriod(periods: TimeMatch[], w: Words, today: string, assumptions: string[]): Range {
  const named = periods[0]?.period;
  if (named) return named;
  if (w.why || (w.flagged && w.was)) {
    assumptions.push("No period named: yesterday.");
    return { from: addDays(today, -1), to: addDays(today, -1) };
  }
  assumptions.push("No period named: the last 30 days.");
  return { from: addDays(today, -29), to: today };
}

/** Anomalies, the seed's flags and why-questions. */
function checkShapes(base: Base, s: Shaped): Parsed | undefined {
  const { words: w, assumptions } = s;
  if (w.anomaly) return understood({ ...base, shape: "anomalies" }, assumptions);
  if (w.flagged) {
    const column = w.volatility ? "volatility_flag" : "performance_flag";
    const level = (re: RegExp) => w.levels.some((l) => re.test(l));
    const values: string[] =
      column === "performance_flag"
        ? [w.under ? "UNDERPERFORMING" : "OVERPERFORMING"]
        : level(/moderate/)
          ? ["MODERATE_VOLATILITY"]
          : level(/stable|calm|low/)
            ? ["STABLE"]
            : level(/high/)
              ? ["HIGH_VOLATILITY"]
              : ["HIGH_VOLATILITY", "MODERATE_VOLATILITY"];
    const flag = {
      column,
      values: values.filter((v) => (FLAGS[column] as readonly string[]).includes(v)),
      question: base.range.from === base.range.to ? "was" : "which",
    } as const;
    return understood({ ...base, shape: "flags", flag }, assumptions);
  }
  if (w.why) {
    const against = s.compare ?? {
      mode: "previous_period" as const,
      range: comparisonRange(base.range, "previous_period"),
    };
    // "why did revenue drop" when it rose: the answer says so rather than explaining a fall.
    const moved = w.moved ? { moved: w.moved } : {};
    return understood(
      { ...base, metrics: [base.metrics[0]!], shape: "why", compare: against, ...moved },
      assumptions,
    );
  }
  return undefined;
}

/** Rankings: of calendar buckets ("best day"), of a dimension's members ("top 5 products"). */
function rankShapes(base: Base, s: Shaped): Parsed | undefined {
  const { words: w, assumptions } = s;
  const sort =
    w.topN?.groups[0] === "bottom" || new RegExp(`^(?:${SUPERLATIVES.asc})$`).test(w.superlative)
      ? "asc"
      : "desc";
  const metrics = [base.metrics[0]!];
  if (w.bucket) {
    const n = count(w.bucket.groups[0]) ?? count(w.topN?.groups[1]);
    const plural = /s$/.test(s.r.text.slice(w.bucket.start, w.bucket.end));
    const by = w.bucket.groups[1] as "day" | "week" | "month";
    return understood(
      { ...base, metrics, shape: "rank", by, sort, limit: n ?? (plural ? 5 : 1) },
      assumptions,
    );
  }
  if (s.compared) {
    const members = s.compared.members.map((m) => m.member);
    return understood({ ...base, shape: "members", by: s.compared.by, members }, assumptions);
  }
  if (w.share) return shareShape(base, assumptions);
  if (!w.ranked) return undefined;
  if (!s.by) {
    return clarify(
      'Rank what? Name a dimension, e.g. "top 5 products by revenue" or "worst region".',
      dimensionCandidates(["region", "segment", "category", "product", "sales_rep"]),
    );
  }
  const text = s.u.dimensions.find((d) => d.name === s.by)!.match.text;
  const plural = /s$/.test(text) && text !== "sales";
  const limit = Math.min(count(w.topN?.groups[1]) ?? (plural ? 5 : 1), 100);
  return understood({ ...base, metrics, shape: "rank", by: s.by, sort, limit }, assumptions);
}

/** A member's share of the whole ("what share of revenue came from EMEA?"): additive metrics only. */
function shareShape(base: Base, assumptions: string[]): Parsed {
  const [entry, ...more] = Object.entries(base.filters);
  if (!entry || more.length > 0) {
    return clarify('A share is of one member, e.g. "what share of revenue came from EMEA last month?"');
  }
  if (!METRICS.get(base.metrics[0]!)!.additive) {
    return clarify(
      `${metricLabel(base.metrics[0]!)} does not add up across members, so it has no share; ask for it by ${dimensionLabel(entry[0]).toLowerCase()} instead.`,
    );
  }
  const [by, member] = entry;
  return understood(
    { ...base, metrics: [base.metrics[0]!], filters: {}, shape: "share", by, members: [member] },
    assumptions,
  );
}

/** Breakdowns, trends, comparisons and single values. */
function otherShapes(base: Base, s: Shaped): Parsed {
  const { words: w, assumptions, compare, by, u } = s;
  if (by && u.grains.length > 0) {
    return clarify(
      `Pulse shows one breakdown at a time: by ${dimensionLabel(by).toLowerCase()} or over time?`,
    );
  }
  if (by) return understood({ ...base, metrics: [base.metrics[0]!], shape: "breakdown", by }, assumptions);
  if (u.grains.length > 0 || w.trend) {
    const days = lengthOf(base.range);
    const grain = u.grains[0] ?? (days <= 31 ? "day" : days <= 182 ? "week" : "month");
    if (compare?.mode === "range") {
      return clarify(
        'A trend compares with the previous period or the same period last year; ask e.g. "daily revenue this month vs the previous period".',
      );
    }
    return understood({ ...base, shape: "trend", grain, ...(compare ? { compare } : {}) }, assumptions);
  }
  if (compare) return understood({ ...base, shape: "compare", compare }, assumptions);
  if (w.comparator) {
    return clarify('Compare with what? e.g. "vs the week before", "vs same period last year" or "vs April".');
  }
  return understood({ ...base, shape: "value" }, assumptions);
}
