/**
 * One question → one answer: refuse what is out of scope before touching data, parse the rest
 * against the model and the data's members, run the semantic query through the KPI reports, and
 * return the sentence, the interpretation, the result and the sources (the endpoint that gives the
 * same numbers, the SQL it ran, the tables it read, how fresh the data is).
 */
import type { Db } from "../db/client.ts";
import { ApiError } from "../http/errors.ts";
import { METRICS } from "../kpi/model.ts";
import type { ReportContext } from "../kpi/reports/report.ts";
import type { Freshness } from "../kpi/store.ts";
import { rowCount, type Table } from "../kpi/table.ts";
import {
  type Answered,
  answerBreakdown,
  answerCompare,
  answerMembers,
  answerRank,
  answerShare,
  answerTrend,
  answerValue,
  type Chart,
  type Label,
} from "./answer.ts";
import { answerAnomalies, answerFlags } from "./checks.ts";
import { Engine, type Statement, tablesOf } from "./engine.ts";
import { interpretationText } from "./format.ts";
import { guard, SUGGESTIONS } from "./guard.ts";
import type { SemanticQuery } from "./intent.ts";
import { labelOf, loadCatalogue } from "./members.ts";
import { type Candidate, parseQuestion } from "./parse.ts";
import { answerWhy } from "./why.ts";

export interface Sources {
  metrics: { name: string; label: string; definition: string }[];
  tables: string[];
  /** The statements of the primary call, in order; `params[i]` are the bound values of statement i. */
  sql: string;
  params: unknown[][];
  /** The same query as a KPI API link (the dashboard opens it). */
  endpoint: string;
  /** Every call the answer made, when there were several (comparisons of ranges, why-questions). */
  queries: { endpoint: string; sql: string; params: unknown[][] }[];
  as_of: string;
  freshness: Freshness;
  row_count: number;
}

export interface AskAnswer {
  status: "answered" | "clarify" | "refused";
  answer: string;
  interpretation: (Record<string, unknown> & { text: string }) | null;
  result: Pick<Table, "columns" | "data"> | null;
  sources: Sources | null;
  chart?: Chart;
  candidates?: Candidate[];
  suggestions?: string[];
}

const SHAPES: Record<
  SemanticQuery["shape"],
  (e: Engine, q: SemanticQuery, label: Label) => Promise<Answered>
> = {
  value: answerValue,
  compare: answerCompare,
  members: answerMembers,
  share: answerShare,
  rank: answerRank,
  breakdown: answerBreakdown,
  trend: answerTrend,
  flags: answerFlags,
  anomalies: answerAnomalies,
  why: answerWhy,
};

const sqlOf = (statements: Statement[]) => statements.map((s) => s.sql).join(";\n\n");

function interpretation(q: SemanticQuery, label: Label, assumptions: string[]) {
  return {
    text: interpretationText(q, label),
    shape: q.shape,
    metrics: q.metrics,
    filters: q.filters,
    filter_labels: Object.fromEntries(Object.entries(q.filters).map(([d, m]) => [d, label(d, m)])),
    from: q.range.from,
    to: q.range.to,
    ...(q.grain ? { grain: q.grain } : {}),
    ...(q.compare
      ? { compare: { mode: q.compare.mode, from: q.compare.range.from, to: q.compare.range.to } }
      : {}),
    ...(q.sort ? { sort: q.sort } : {}),
    ...(q.limit ? { limit: q.limit } : {}),
    ...(q.by && q.shape !== "members" ? { breakdown: q.by } : {}),
    ...(q.members ? { by: q.by, members: q.members } : {}),
    ...(q.flag ? { flag: q.flag } : {}),
    assumptions,
  };
}

function followUps(q: SemanticQuery): string[] {
  const label = METRICS.get(q.metrics[0]!)!.label;
  const out = [`${label} by region last month`, `Daily ${label.toLowerCase()} this month`];
  if (q.shape !== "why") out.push(`Why did ${label.toLowerCase()} change yesterday?`);
  return out;
}

const refusedWith = (message: string): AskAnswer => ({
  status: "refused",
  answer: message,
  interpretation: null,
  result: null,
  sources: null,
  suggestions: SUGGESTIONS,
});

/** The refusal of a question that needs no data to refuse (changes, forecasts, other data). */
export function refuseEarly(question: string): AskAnswer | undefined {
  const refusal = guard(question);
  return refusal ? refusedWith(refusal.message) : undefined;
}

/**
 * Answers `question` as of `ctx.today`; `databaseKey` names the database for the member cache;
 * `waitUntil` lets report results be kept in the edge cache.
 */
export async function ask(
  db: Db,
  question: string,
  ctx: ReportContext,
  databaseKey: string,
  waitUntil?: (p: Promise<unknown>) => void,
): Promise<AskAnswer> {
  const early = refuseEarly(question);
  if (early) return early;
  const { members, vocabulary } = await loadCatalogue(db, databaseKey);
  const parsed = parseQuestion(question, { today: ctx.today, vocabulary });
  if (parsed.status === "refused") return refusedWith(parsed.message);
  if (parsed.status === "clarify") {
    return {
      status: "clarify",
      answer: parsed.message,
      interpretation: null,
      result: null,
      sources: null,
      candidates: parsed.candidates,
      suggestions: SUGGESTIONS,
    };
  }
  return run(db, parsed.query, parsed.assumptions, ctx, (d, m) => labelOf(members, d, m), waitUntil);
}

/** Runs an understood semantic query (from the parser or, validated, from a language model). */
export async function run(
  db: Db,
  q: SemanticQuery,
  assumptions: string[],
  ctx: ReportContext,
  label: Label,
  waitUntil?: (p: Promise<unknown>) => void,
): Promise<AskAnswer> {
  const engine = new Engine(db, ctx, waitUntil);
  let answered: Answered;
  try {
    answered = await SHAPES[q.shape](engine, q, label);
  } catch (error) {
    // The report's own parser said the query can't run as asked (a range too long for the grain…).
    if (error instanceof ApiError && error.status === 400) {
      return {
        status: "clarify",
        answer: error.message,
        interpretation: interpretation(q, label, assumptions),
        result: null,
        sources: null,
        suggestions: SUGGESTIONS,
      };
    }
    throw error;
  }
  const [primary] = engine.calls;
  const sources: Sources = {
    metrics: q.metrics.map((name) => {
      const m = METRICS.get(name)!;
      return { name, label: m.label, definition: m.description };
    }),
    tables: tablesOf(engine.calls.flatMap((c) => c.statements)),
    sql: sqlOf(primary!.statements),
    params: primary!.statements.map((s) => s.params),
    endpoint: primary!.endpoint,
    queries: engine.calls.map((c) => ({
      endpoint: c.endpoint,
      sql: sqlOf(c.statements),
      params: c.statements.map((s) => s.params),
    })),
    as_of: new Date().toISOString(),
    freshness: primary!.freshness,
    row_count: rowCount(answered.result),
  };
  return {
    status: "answered",
    answer: answered.answer,
    interpretation: interpretation(q, label, assumptions),
    result: { columns: answered.result.columns, data: answered.result.data },
    sources,
    ...(answered.chart ? { chart: answered.chart } : {}),
    suggestions: followUps(q),
  };
}
