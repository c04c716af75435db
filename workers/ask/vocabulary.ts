/**
 * What a question's words can mean (pure): the semantic model's metrics, dimensions and grains by
 * name, label and synonym, and the members found in the data (regions, segments, categories,
 * products by name, sales reps by id and name). `match` reads a question's words against it:
 * longest phrase first, then with typos, then partial member names (which only ever lead to a
 * clarifying question); whatever is left and is not filler is reported as not understood.
 */
import { DIMENSIONS, GRAINS, METRICS } from "../kpi/model.ts";
import { FILLER, normalize, singular, typoBudget, typoDistance } from "./text.ts";

export interface Member {
  dimension: string;
  /** The filter value (`region=EMEA`, `product=<id>`). */
  member: string;
  /** What people call it (a product's name). */
  label: string;
}

export type Entry =
  | { kind: "metric"; name: string }
  | { kind: "dimension"; name: string }
  | { kind: "grain"; name: string }
  | { kind: "member"; member: Member };

export interface Match {
  start: number;
  end: number;
  /** Several entries: the phrase names several things (clarify unless the context decides). */
  entries: Entry[];
  /** `typo`: matched within the typo budget; `partial`: one word of a longer member name. */
  how: "exact" | "typo" | "partial";
  text: string;
}

export interface Vocabulary {
  phrases: Map<string, Entry[]>;
  /** Phrases by word count, for the typo pass. */
  byWords: Map<number, string[]>;
  /** Member names by each of their words, for partial matches. */
  words: Map<string, Member[]>;
  maxWords: number;
}

// Grain phrases that mean a trend; "range", "minute" and the bare "date" don't.
const TREND_GRAINS = ["hour", "day", "week", "month", "quarter", "fiscal_quarter", "year"];
const GRAIN_WORDS_EXCLUDED = new Set(["date", "live", "overall", "in total", "whole range"]);
const PLURALS: Record<string, string[]> = {
  region: ["regions"],
  segment: ["segments", "customer segments"],
  category: ["categories", "product categories"],
  sales_rep: ["sales reps", "reps", "salespeople", "sales people", "representatives"],
  product: ["products", "items", "skus"],
};

function add(phrases: Map<string, Entry[]>, phrase: string, entry: Entry): void {
  const key = normalize(phrase);
  if (!key) return;
  const list = phrases.get(key) ?? [];
  const same = (e: Entry) => JSON.stringify(e) === JSON.stringify(entry);
  if (!list.some(same)) list.push(entry);
  phrases.set(key, list);
}

/** Questions with more unknown words than this are not searched for typos or partial names. */
const MAX_UNKNOWN = 8;

export function buildVocabulary(members: readonly Member[]): Vocabulary {
  const phrases = new Map<string, Entry[]>();
  for (const m of METRICS.values()) {
    for (const p of [m.name.replace(/_/g, " "), m.label, ...m.synonyms])
      add(phrases, p, { kind: "metric", name: m.name });
  }
  for (const d of DIMENSIONS.values()) {
    for (const p of [d.name.replace(/_/g, " "), d.label, ...d.synonyms, ...(PLURALS[d.name] ?? [])]) {
      add(phrases, p, { kind: "dimension", name: d.name });
    }
  }
  for (const name of TREND_GRAINS) {
    const g = GRAINS.get(name)!;
    for (const p of g.synonyms) if (!GRAIN_WORDS_EXCLUDED.has(p)) add(phrases, p, { kind: "grain", name });
  }
  const words = new Map<string, Member[]>();
  for (const member of members) {
    add(phrases, member.label, { kind: "member", member });
    if (member.member !== member.label && member.member !== "")
      add(phrases, member.member, { kind: "member", member });
    const parts = normalize(member.label).split(" ");
    if (parts.length > 1) {
      for (const w of parts) {
        if (w.length < 3 || FILLER.has(w)) continue;
        const list = words.get(w);
        if (list) list.push(member);
        else words.set(w, [member]);
      }
    }
  }
  const byWords = new Map<number, string[]>();
  let maxWords = 1;
  for (const p of phrases.keys()) {
    const n = p.split(" ").length;
    maxWords = Math.max(maxWords, n);
    const list = byWords.get(n);
    if (list) list.push(p);
    else byWords.set(n, [p]);
  }
  return { phrases, byWords, words, maxWords: Math.min(maxWords, 6) };
}

/** Entries for a phrase, trying the singular of its last word too ("regions" → "region"). */
function lookup(v: Vocabulary, phrase: string): Entry[] | undefined {
  const exact = v.phrases.get(phrase);
  if (exact) return exact;
  const words = phrase.split(" ");
  const last = words.pop()!;
  const single = singular(last);
  return single === last ? undefined : v.phrases.get([...words, single].join(" "));
}

/**
 * Short member codes that are also English words ("us", "a") count only when written in capitals,
 * and a one-letter one not as the first word (where "A" is an article).
 */
function plausible(entries: Entry[], original: string, first: boolean): Entry[] {
  return entries.filter((e) => {
    if (e.kind !== "member") return true;
    const code = normalize(e.member.label);
    if (code.length > 3 || !FILLER.has(code)) return true;
    return original === e.member.label && !(first && code.length === 1);
  });
}

/**
 * Reads `tokens` (normalized words; `null` marks words already understood, e.g. a time phrase)
 * against the vocabulary. `originals` are the same words as written, for case-sensitive codes.
 */
export function match(
  v: Vocabulary,
  tokens: (string | null)[],
  originals: string[],
): { matches: Match[]; unknown: string[] } {
  const matches: Match[] = [];
  const used = tokens.map((t) => t === null);
  const free = (i: number, n: number) => {
    for (let k = i; k < i + n; k++) if (k >= tokens.length || used[k]) return false;
    return true;
  };
  const take = (i: number, n: number, entries: Entry[], how: Match["how"]) => {
    for (let k = i; k < i + n; k++) used[k] = true;
    matches.push({ start: i, end: i + n, entries, how, text: tokens.slice(i, i + n).join(" ") });
  };
  // 1. Exact phrases, longest first.
  for (let i = 0; i < tokens.length; i++) {
    for (let n = Math.min(v.maxWords, tokens.length - i); n >= 1; n--) {
      if (!free(i, n)) continue;
      const phrase = tokens.slice(i, i + n).join(" ");
      if (n === 1 && FILLER.has(phrase) && !v.phrases.has(phrase)) continue;
      const found = lookup(v, phrase);
      const entries = found && plausible(found, originals.slice(i, i + n).join(" "), i === 0);
      if (entries && entries.length > 0) {
        take(i, n, entries, "exact");
        i += n - 1;
        break;
      }
    }
  }
  // 2. Typos: spans of unmatched words against phrases of as many words — unless most of the
  // question is unknown words, which no typo budget would rescue (and which would cost a pass over
  // every member per word).
  const left = tokens.filter((t, i) => !used[i] && t !== null && !FILLER.has(t)).length;
  for (let n = left > MAX_UNKNOWN ? 0 : Math.min(3, v.maxWords); n >= 1; n--) {
    for (let i = 0; i + n <= tokens.length; i++) {
      if (!free(i, n)) continue;
      const span = tokens.slice(i, i + n) as string[];
      if (span.some((w) => FILLER.has(w) || /^\d/.test(w)) || span.join("").length < 4) continue;
      const text = span.join(" ");
      const budget = typoBudget(text.length);
      let best = budget + 1;
      let hits: Entry[] = [];
      for (const phrase of v.byWords.get(n) ?? []) {
        const d = typoDistance(text, phrase, Math.min(budget, best));
        if (d < best) {
          best = d;
          hits = [...v.phrases.get(phrase)!];
        } else if (d === best && d <= budget) hits.push(...v.phrases.get(phrase)!);
      }
      if (best <= budget && hits.length > 0) take(i, n, hits, "typo");
    }
  }
  // 3. One word of a longer member name ("north" of "North America"): a candidate, never an answer.
  for (let i = 0; i < tokens.length && left <= MAX_UNKNOWN; i++) {
    if (!free(i, 1)) continue;
    const w = tokens[i] as string;
    const members = v.words.get(w) ?? v.words.get(singular(w));
    if (members && !FILLER.has(w))
      take(
        i,
        1,
        members.map((member) => ({ kind: "member", member })),
        "partial",
      );
  }
  const unknown = tokens.flatMap((t, i) => (!used[i] && t !== null && !FILLER.has(t) ? [t] : []));
  return { matches: matches.sort((a, b) => a.start - b.start), unknown };
}
