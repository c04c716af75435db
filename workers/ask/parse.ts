/**
 * The deterministic question parser (pure): a question in plain English → the semantic query it
 * asks for, a clarifying question with candidates, or a refusal. Every word must be understood —
 * as a metric, dimension, member, grain, time phrase, a word of the question's shape, or filler —
 * or the question is not answered: a guess is never turned into a number.
 */
import { addDays } from "../kpi/calendar.ts";
import { DIMENSIONS, METRICS } from "../kpi/model.ts";
import { comparisonRange } from "../kpi/reports/query.ts";
import { guard, type Refusal } from "./guard.ts";
import { FLAGS, type SemanticQuery } from "./intent.ts";
import { normalize } from "./text.ts";
import { findTimes, lengthOf, type TimeMatch } from "./time.ts";
import { type Entry, type Match, type Member, match, type Vocabulary } from "./vocabulary.ts";

export interface Candidate {
  kind: "member" | "metric" | "dimension";
  name: string;
  label: string;
  dimension?: string;
}

export type Parsed =
  | { status: "understood"; query: SemanticQuery; assumptions: string[] }
  | { status: "clarify"; message: string; candidates: Candidate[] }
  | { status: "refused"; reason: Refusal; message: string };

export interface ParseContext {
  today: string;
  vocabulary: Vocabulary;
}

const WORD_NUMBERS: Record<string, number> = {
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  twenty: 20,
};
const N = `(\\d{1,3}|${Object.keys(WORD_NUMBERS).join("|")})`;
// Longest first, so "most profitable" is read whole rather than as "most".
const alternatives = (words: string) =>
  words
    .split("|")
    .sort((a, b) => b.length - a.length)
    .join("|");
const SUPERLATIVES = {
  desc: alternatives(
    "best|highest|biggest|largest|most|greatest|strongest|leading|top performing|best performing|best selling|busiest|most profitable",
  ),
  asc: alternatives(
    "worst|lowest|smallest|least|fewest|weakest|poorest|worst performing|slowest|quietest|least profitable",
  ),
};

/** Words that say what kind of answer is wanted; they are consumed before the vocabulary reads the rest. */
const SHAPE_WORDS = {
  why: /\b(?:why|how come|what (?:drove|drives|caused|causes|explains|is behind|was behind|made|happened to)|explain|reasons? (?:for|behind)|drivers? (?:of|behind)|contributed|contributors?|responsible for)\b/g,
  anomaly: /\b(?:anomal(?:y|ies|ous)|outliers?|unusual|abnormal|spikes?|alerts?)\b/g,
  volatility: /\b(?:volatil(?:e|ity)|swings?)\b/g,
  level: /\b(?:high(?:ly)?|moderate(?:ly)?|stable|calm|low)\b/g,
  under: /\b(?:under ?perform(?:ed|ing|ance|ers?)?|below (?:the |its )?(?:7|seven) day average)\b/g,
  over: /\b(?:over ?perform(?:ed|ing|ance|ers?)?|above (?:the |its )?(?:7|seven) day average)\b/g,
  topN: new RegExp(`\\b(top|bottom)(?! line)(?: ${N})?\\b`, "g"),
  superlative: new RegExp(`\\b(${SUPERLATIVES.desc}|${SUPERLATIVES.asc})\\b`, "g"),
  bucket: new RegExp(
    `\\b(?:(?:${SUPERLATIVES.desc}|${SUPERLATIVES.asc}|top|bottom|which|what)(?: ${N})? )(day|week|month)s?\\b`,
    "g",
  ),
  trend:
    /\b(?:trends?|trending|over time|evolution|evolved?|time series|day by day|week by week|month by month)\b/g,
  comparator: /\b(?:vs|versus|compared (?:to|with)|compare|against|relative to|than)\b/g,
  growth:
    /\b(?:growth|grow|grew|grown|change[sd]?|increase[sd]?|decrease[sd]?|rise|rose|risen|fall|fell|fallen|drop(?:ped)?|dip(?:ped)?|declined?|improved?|gain(?:ed)?|delta|difference|up or down|(?:go|goes|went|gone|going) (?:up|down))\b/g,
  howMany: /\bhow many\b/g,
  was: /^(?:was|were|is|did|has|had)\b/g,
};
type ShapeWord = keyof typeof SHAPE_WORDS;

interface Found {
  start: number;
  end: number;
  groups: (string | undefined)[];
}

/** Token positions of the normalized text, and which tokens are taken by what. */
class Reading {
  readonly tokens: string[];
  readonly offsets: number[] = [];
  readonly taken: boolean[];
  readonly text: string;
  constructor(text: string) {
    this.text = text;
    this.tokens = text === "" ? [] : text.split(" ");
    let at = 0;
    for (const t of this.tokens) {
      this.offsets.push(at);
      at += t.length + 1;
    }
    this.taken = this.tokens.map(() => false);
  }
  tokenAt(char: number): number {
    let i = 0;
    while (i + 1 < this.offsets.length && this.offsets[i + 1]! <= char) i++;
    return i;
  }
  take(start: number, end: number): { first: number; last: number } {
    const first = this.tokenAt(start);
    const last = this.tokenAt(Math.max(start, end - 1));
    for (let i = first; i <= last; i++) this.taken[i] = true;
    return { first, last };
  }
  find(word: ShapeWord, consume = true): (Found & { first: number })[] {
    const re = new RegExp(SHAPE_WORDS[word].source, "g");
    const out: (Found & { first: number })[] = [];
    for (let m = re.exec(this.text); m; m = re.exec(this.text)) {
      const start = m.index;
      const end = start + m[0].length;
      const { first } = consume ? this.take(start, end) : { first: this.tokenAt(start) };
      out.push({ start, end, groups: m.slice(1), first });
    }
    return out;
  }
}

const metricLabel = (name: string) => METRICS.get(name)!.label;
const dimensionLabel = (name: string) => DIMENSIONS.get(name)!.label;
const memberCandidate = (m: Member): Candidate => ({
  kind: "member",
  name: m.member,
  label: m.label,
  dimension: m.dimension,
});
const clarify = (message: string, candidates: Candidate[] = []): Parsed => ({
  status: "clarify",
  message,
  candidates,
});
const count = (s: string | undefined) => (s === undefined ? undefined : (WORD_NUMBERS[s] ?? Number(s)));
const sameRange = (a: { from: string; to: string }, b: { from: string; to: string }) =>
  a.from === b.from && a.to === b.to;

function dedupeMembers(entries: Entry[]): Member[] {
  const seen = new Map<string, Member>();
  for (const e of entries)
    if (e.kind === "member") seen.set(`${e.member.dimension}\u0000${e.member.member}`, e.member);
  return [...seen.values()];
}

interface Understood {
  metrics: { name: string; text: string; start: number }[];
  dimensions: { name: string; match: Match; qualifier: boolean }[];
  grains: string[];
  filters: Map<string, Member[]>;
}

/** Sorts the vocabulary's matches into metrics, dimensions, grains and member filters. */
function understand(matches: Match[]): Understood | Parsed {
  const u: Understood = { metrics: [], dimensions: [], grains: [], filters: new Map() };
  const memberMatches: Match[] = [];
  for (const m of matches) {
    const vocabulary = m.entries.filter((e) => e.kind !== "member");
    if (vocabulary.length === 0) {
      memberMatches.push(m);
      continue;
    }
    const metrics = [...new Set(vocabulary.flatMap((e) => (e.kind === "metric" ? [e.name] : [])))];
    if (metrics.length > 1) {
      return clarify(
        `"${m.text}" could mean ${metrics.map(metricLabel).join(" or ")}; which one?`,
        metrics.map((name) => ({ kind: "metric", name, label: metricLabel(name) })),
      );
    }
    const e = vocabulary[0]!;
    if (e.kind === "metric") u.metrics.push({ name: e.name, text: m.text, start: m.start });
    else if (e.kind === "dimension") u.dimensions.push({ name: e.name, match: m, qualifier: false });
    else if (e.kind === "grain") u.grains.push(e.name);
  }
  for (const m of memberMatches) {
    let members = dedupeMembers(m.entries);
    // A dimension named right beside a member says which dimension it belongs to ("EMEA region").
    const beside = u.dimensions.find(
      (d) =>
        (d.match.end === m.start || d.match.start === m.end) && members.some((x) => x.dimension === d.name),
    );
    if (beside) {
      beside.qualifier = true;
      members = members.filter((x) => x.dimension === beside.name);
    }
    if (m.how === "partial") {
      const shown = members.slice(0, 10);
      return clarify(
        `No ${beside ? dimensionLabel(beside.name).toLowerCase() : "member"} is called "${m.text}"; did you mean ${shown.map((x) => x.label).join(", ")}?`,
        shown.map(memberCandidate),
      );
    }
    if (members.length > 1) {
      return clarify(
        `"${m.text}" names more than one thing: ${members.map((x) => `${x.label} (${dimensionLabel(x.dimension)})`).join(", ")}; which one?`,
        members.slice(0, 10).map(memberCandidate),
      );
    }
    const member = members[0]!;
    const list = u.filters.get(member.dimension) ?? [];
    if (!list.some((x) => x.member === member.member)) list.push(member);
    u.filters.set(member.dimension, list);
  }
  return u;
}

/** The comparison a question asks for, from its periods, markers and words. */
function comparison(
  periods: TimeMatch[],
  markers: TimeMatch[],
  range: { from: string; to: string },
  words: { comparator: boolean; growth: boolean; why: boolean },
): SemanticQuery["compare"] | Parsed | undefined {
  const mode = (m: "previous_period" | "previous_year") => ({ mode: m, range: comparisonRange(range, m) });
  if (periods.length > 2) return clarify('Compare two periods at a time, e.g. "revenue in March vs April".');
  if (periods.length === 2) {
    const other = periods[1]!;
    const b = other.period!;
    // "last week vs previous week": the second names the period before the first.
    if (sameRange(b, range)) return mode("previous_period");
    // "… vs last year" beside a period shorter than a year: the same dates a year earlier.
    if (/^last year$/.test(other.text) && periods[0]!.unit !== "year") return mode("previous_year");
    if (sameRange(b, comparisonRange(range, "previous_period"))) return mode("previous_period");
    if (sameRange(b, comparisonRange(range, "previous_year"))) return mode("previous_year");
    return { mode: "range", range: b };
  }
  if (markers.length > 0) return mode(markers[0]!.compare!);
  if (words.growth || words.why) {
    const unit = periods[0]?.unit;
    return mode(unit === "year" || unit === "fiscal_year" ? "previous_year" : "previous_period");
  }
  return undefined;
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
  const periods = times.filter((t) => t.kind === "period");
  const markers = times.filter((t) => t.kind === "compare");

  const why = r.find("why").length > 0;
  const anomaly = r.find("anomaly").length > 0;
  const volatility = r.find("volatility").length > 0;
  const under = r.find("under").length > 0;
  const over = r.find("over").length > 0;
  const flagged = volatility || under || over;
  const levelWords = flagged ? r.find("level").map((f) => r.text.slice(f.start, f.end)) : [];
  const bucket = r.find("bucket")[0];
  const topN = r.find("topN")[0];
  const superlative = r.find("superlative")[0];
  const trendWord = r.find("trend").length > 0;
  const comparator = r.find("comparator").length > 0;
  const growth = r.find("growth", false).length > 0;
  const howMany = r.find("howMany").length > 0;
  const wasQuestion = r.find("was", false).length > 0;

  const originals = cased.split(" ");
  const { matches, unknown } = match(
    ctx.vocabulary,
    r.tokens.map((t, i) => (r.taken[i] ? null : t)),
    originals,
  );
  const u = understand(matches);
  if ("status" in u) return u;

  const anything =
    u.metrics.length + u.dimensions.length + u.filters.size + u.grains.length + times.length > 0 ||
    why ||
    anomaly ||
    flagged ||
    bucket !== undefined ||
    topN !== undefined;
  if (!anything) {
    return {
      status: "refused",
      reason: "out_of_scope",
      message: "That does not look like a question about the sales data Pulse holds.",
    };
  }
  if (unknown.length > 0) {
    return clarify(
      `Pulse did not understand ${unknown.map((w) => `"${w}"`).join(", ")}. Name a metric (revenue, orders, customers…), a period and, if you like, a region, segment, category, product or sales rep.`,
    );
  }

  const assumptions: string[] = [];
  // Metrics. "SMB customers" names a segment's customers, not the customer count, when another
  // metric is asked for; "how many sales" counts orders.
  const afterSegment = (m: { start: number }) =>
    matches.some(
      (x) =>
        x.end === m.start && x.entries.some((e) => e.kind === "member" && e.member.dimension === "segment"),
    );
  const asked = u.metrics.filter(
    (m) => !(m.name === "unique_customers" && u.metrics.length > 1 && afterSegment(m)),
  );
  let metrics = [...new Set(asked.map((m) => (howMany && /^sales?$/.test(m.text) ? "orders" : m.name)))];
  const superWord = superlative?.groups[0] ?? "";
  if (metrics.length === 0) {
    const byDims = u.dimensions.filter((d) => !d.qualifier);
    if (howMany && byDims.length > 0 && !topN && !superlative) {
      return clarify(
        `Pulse counts orders, units and customers, not ${byDims[0]!.match.text}; which did you mean?`,
        [
          { kind: "metric", name: "orders", label: "Orders" },
          { kind: "metric", name: "quantity", label: "Units sold" },
        ],
      );
    }
    const implied = /profitable/.test(superWord)
      ? "gross_profit"
      : /busiest|slowest|quietest/.test(superWord)
        ? "orders"
        : howMany
          ? u.filters.has("product")
            ? "quantity"
            : undefined
          : "revenue";
    if (!implied)
      return clarify(
        "How many of what? Orders, units or customers?",
        ["orders", "quantity", "unique_customers"].map((name) => ({
          kind: "metric",
          name,
          label: metricLabel(name),
        })),
      );
    metrics = [implied];
    if (implied === "revenue" && !anomaly && !flagged) assumptions.push("No metric named: revenue.");
  }
  if ((anomaly || flagged) && metrics.some((m) => m !== "revenue")) {
    return clarify(
      'Anomalies and the daily flags are computed on revenue; ask about revenue, e.g. "any revenue anomalies this week?"',
      [{ kind: "metric", name: "revenue", label: "Revenue" }],
    );
  }

  // Filters, and several members of one dimension compared with each other.
  const filters: Record<string, string> = {};
  let compared: { by: string; members: Member[] } | undefined;
  for (const [dim, members] of u.filters) {
    if (members.length === 1) filters[dim] = members[0]!.member;
    else if (compared)
      return clarify('Compare members of one dimension at a time, e.g. "EMEA vs APAC revenue".');
    else compared = { by: dim, members };
  }

  // The dimension to break down or rank by.
  const byDims = [...new Set(u.dimensions.filter((d) => !d.qualifier).map((d) => d.name))];
  if (byDims.length > 1) {
    return clarify(
      `Pulse breaks a figure down by one dimension at a time: ${byDims.map(dimensionLabel).join(" or ")}?`,
      byDims.map((name) => ({ kind: "dimension", name, label: dimensionLabel(name) })),
    );
  }
  const by = byDims[0];
  if (by && filters[by] !== undefined) {
    return clarify(
      `${dimensionLabel(by)} is already fixed to one member; break it down by another dimension (segment, category, product…)?`,
      [...DIMENSIONS.keys()]
        .filter((d) => d !== by)
        .map((name) => ({ kind: "dimension", name, label: dimensionLabel(name) })),
    );
  }

  // Period.
  const today = ctx.today;
  let range = periods[0]?.period;
  if (!range) {
    if (why || (flagged && wasQuestion)) {
      range = { from: addDays(today, -1), to: addDays(today, -1) };
      assumptions.push("No period named: yesterday.");
    } else {
      range = { from: addDays(today, -29), to: today };
      assumptions.push("No period named: the last 30 days.");
    }
  }
  const compare = comparison(periods, markers, range, { comparator, growth, why });
  if (compare && "status" in compare) return compare;

  const base = { metrics, filters, range };
  if (anomaly) return understood({ ...base, shape: "anomalies" }, assumptions);
  if (flagged) {
    const column = volatility ? "volatility_flag" : "performance_flag";
    const values: string[] =
      column === "performance_flag"
        ? [under ? "UNDERPERFORMING" : "OVERPERFORMING"]
        : levelWords.some((l) => /moderate/.test(l))
          ? ["MODERATE_VOLATILITY"]
          : levelWords.some((l) => /stable|calm|low/.test(l))
            ? ["STABLE"]
            : levelWords.some((l) => /high/.test(l))
              ? ["HIGH_VOLATILITY"]
              : ["HIGH_VOLATILITY", "MODERATE_VOLATILITY"];
    const single = range.from === range.to;
    const flag = {
      column,
      values: values.filter((v) => (FLAGS[column] as readonly string[]).includes(v)),
      question: single ? "was" : "which",
    } as const;
    return understood({ ...base, shape: "flags", flag }, assumptions);
  }
  if (why) {
    const against = compare ?? {
      mode: "previous_period" as const,
      range: comparisonRange(range, "previous_period"),
    };
    // "why did revenue drop" when it rose: the answer says so rather than explaining a fall.
    const said =
      /\b(?:drop(?:ped)?|fall|fell|fallen|declined?|decrease[sd]?|dip(?:ped)?|down|lower|worse|lost)\b/.test(
        r.text,
      )
        ? { moved: "down" as const }
        : /\b(?:rise|rose|risen|increase[sd]?|grow|grew|grown|growth|up|higher|better|gain(?:ed)?|improved?)\b/.test(
              r.text,
            )
          ? { moved: "up" as const }
          : {};
    return understood(
      { ...base, metrics: [metrics[0]!], shape: "why", compare: against, ...said },
      assumptions,
    );
  }
  const direction =
    topN?.groups[0] === "bottom" || new RegExp(`^(?:${SUPERLATIVES.asc})$`).test(superWord) ? "asc" : "desc";
  const ranked = topN !== undefined || superlative !== undefined;
  if (bucket) {
    const unit = bucket.groups[1] as "day" | "week" | "month";
    const n = count(bucket.groups[0]) ?? count(topN?.groups[1]);
    const plural = /s$/.test(r.text.slice(bucket.start, bucket.end));
    return understood(
      {
        ...base,
        metrics: [metrics[0]!],
        shape: "rank",
        by: unit,
        sort: direction,
        limit: n ?? (plural ? 5 : 1),
      },
      assumptions,
    );
  }
  if (compared) {
    return understood(
      { ...base, shape: "members", by: compared.by, members: compared.members.map((m) => m.member) },
      assumptions,
    );
  }
  if (by && ranked) {
    const dimText = u.dimensions.find((d) => d.name === by)!.match.text;
    const n = count(topN?.groups[1]);
    const plural = /s$/.test(dimText) && !/^sales$/.test(dimText);
    return understood(
      {
        ...base,
        metrics: [metrics[0]!],
        shape: "rank",
        by,
        sort: direction,
        limit: Math.min(n ?? (plural ? 5 : 1), 100),
      },
      assumptions,
    );
  }
  if (ranked)
    return clarify(
      'Rank what? Name a dimension, e.g. "top 5 products by revenue" or "worst region".',
      ["region", "segment", "category", "product", "sales_rep"].map((name) => ({
        kind: "dimension",
        name,
        label: dimensionLabel(name),
      })),
    );
  if (by && u.grains.length > 0) {
    return clarify(
      `Pulse shows one breakdown at a time: by ${dimensionLabel(by).toLowerCase()} or over time?`,
    );
  }
  if (by) return understood({ ...base, metrics: [metrics[0]!], shape: "breakdown", by }, assumptions);
  if (u.grains.length > 0 || trendWord) {
    const grain = u.grains[0] ?? (lengthOf(range) <= 31 ? "day" : lengthOf(range) <= 182 ? "week" : "month");
    if (compare?.mode === "range") {
      return clarify(
        'A trend compares with the previous period or the same period last year; ask e.g. "daily revenue this month vs the previous period".',
      );
    }
    return understood({ ...base, shape: "trend", grain, ...(compare ? { compare } : {}) }, assumptions);
  }
  if (compare) return understood({ ...base, shape: "compare", compare }, assumptions);
  if (comparator)
    return clarify('Compare with what? e.g. "vs the week before", "vs same period last year" or "vs April".');
  return understood({ ...base, shape: "value" }, assumptions);
}

function understood(query: SemanticQuery, assumptions: string[]): Parsed {
  return { status: "understood", query, assumptions };
}
