/**
 * The words of a question that say what kind of answer it wants — why, anomalies, flags, rankings,
 * trends, comparisons — found and consumed before the vocabulary reads the rest (pure).
 */
import { NUMBER_WORDS } from "./text.ts";

const N = `(\\d{1,3}|${Object.keys(NUMBER_WORDS).join("|")})`;
// Longest first, so "most profitable" is read whole rather than as "most".
const alternatives = (words: string) =>
  words
    .split("|")
    .sort((a, b) => b.length - a.length)
    .join("|");
export const SUPERLATIVES = {
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
  share: /\b(?:share|percentage|proportion)\b/g,
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
export class Reading {
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

export const count = (s: string | undefined) =>
  s === undefined ? undefined : (NUMBER_WORDS[s] ?? Number(s));

/** What the shape words of a question say. */
export interface Words {
  why: boolean;
  anomaly: boolean;
  volatility: boolean;
  under: boolean;
  over: boolean;
  flagged: boolean;
  levels: string[];
  bucket: (Found & { first: number }) | undefined;
  topN: (Found & { first: number }) | undefined;
  superlative: string;
  ranked: boolean;
  trend: boolean;
  /** "What share of revenue came from EMEA?" */
  share: boolean;
  comparator: boolean;
  growth: boolean;
  howMany: boolean;
  was: boolean;
  /** The way a why-question says the metric moved. */
  moved: "up" | "down" | undefined;
}

export function readWords(r: Reading): Words {
  const why = r.find("why").length > 0;
  const anomaly = r.find("anomaly").length > 0;
  const volatility = r.find("volatility").length > 0;
  const under = r.find("under").length > 0;
  const over = r.find("over").length > 0;
  const flagged = volatility || under || over;
  const levels = flagged ? r.find("level").map((f) => r.text.slice(f.start, f.end)) : [];
  const bucket = r.find("bucket")[0];
  const topN = r.find("topN")[0];
  const superlative = r.find("superlative")[0];
  return {
    why,
    anomaly,
    volatility,
    under,
    over,
    flagged,
    levels,
    bucket,
    topN,
    superlative: superlative?.groups[0] ?? "",
    ranked: topN !== undefined || superlative !== undefined,
    trend: r.find("trend").length > 0,
    share: r.find("share").length > 0,
    comparator: r.find("comparator").length > 0,
    growth: r.find("growth", false).length > 0,
    howMany: r.find("howMany").length > 0,
    was: r.find("was", false).length > 0,
    moved:
      /\b(?:drop(?:ped)?|fall|fell|fallen|declined?|decrease[sd]?|dip(?:ped)?|down|lower|worse|lost)\b/.test(
        r.text,
      )
        ? "down"
        : /\b(?:rise|rose|risen|increase[sd]?|grow|grew|grown|growth|up|higher|better|gain(?:ed)?|improved?)\b/.test(
              r.text,
            )
          ? "up"
          : undefined,
  };
}
