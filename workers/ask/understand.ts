/**
 * Sorting what the vocabulary matched into metrics, dimensions, grains and member filters, and
 * working out the comparison a question asks for (pure). Anything ambiguous becomes a clarifying
 * question with its candidates.
 */
import { DIMENSIONS, METRICS } from "../kpi/model.ts";
import { comparisonRange } from "../kpi/reports/query.ts";
import type { Refusal } from "./guard.ts";
import type { SemanticQuery } from "./intent.ts";
import type { TimeMatch } from "./time.ts";
import type { Entry, Match, Member } from "./vocabulary.ts";

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

export const metricLabel = (name: string) => METRICS.get(name)!.label;
export const dimensionLabel = (name: string) => DIMENSIONS.get(name)!.label;
const memberCandidate = (m: Member): Candidate => ({
  kind: "member",
  name: m.member,
  label: m.label,
  dimension: m.dimension,
});
export const clarify = (message: string, candidates: Candidate[] = []): Parsed => ({
  status: "clarify",
  message,
  candidates,
});
const sameRange = (a: { from: string; to: string }, b: { from: string; to: string }) =>
  a.from === b.from && a.to === b.to;

function dedupeMembers(entries: Entry[]): Member[] {
  const seen = new Map<string, Member>();
  for (const e of entries)
    if (e.kind === "member") seen.set(`${e.member.dimension}\u0000${e.member.member}`, e.member);
  return [...seen.values()];
}

/** "North America (Region NA)": a member by name, with its code when the name is not the code. */
const described = (x: Member) =>
  `${x.label} (${dimensionLabel(x.dimension)}${x.label === x.member ? "" : ` ${x.member}`})`;

export interface Understood {
  metrics: { name: string; text: string; start: number }[];
  dimensions: { name: string; match: Match; qualifier: boolean }[];
  grains: string[];
  filters: Map<string, Member[]>;
}

/** Sorts the vocabulary's matches into metrics, dimensions, grains and member filters. */
export function understand(matches: Match[]): Understood | Parsed {
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
        `"${m.text}" names more than one thing: ${members.map(described).join(", ")}; which one?`,
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
export function comparison(
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
