/**
 * Text handling for questions (pure): one normalization for questions and for the names they are
 * matched against, light singular forms, a bounded typo distance, and the words that carry no
 * meaning of their own in a question about the data.
 */

/**
 * Lower case, words of letters and digits, single spaces; ISO dates keep their hyphens.
 * `keepCase` keeps capitals (the same words, for codes that count only when written in capitals).
 */
export function normalize(text: string, keepCase = false): string {
  const folded = text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
  return (keepCase ? folded : folded.toLowerCase())
    .replace(/[’‘`]/g, "'")
    .replace(/(\d),(\d{3})/g, "$1$2")
    .replace(/(\d)\.(\d)/g, "$1·$2")
    .replace(/(\d)-(?=\d)/g, "$1\u2011")
    .replace(/'s\b/gi, "")
    .replace(/[^a-zA-Z0-9·\u2011 ]+/g, " ")
    .replace(/\u2011/g, "-")
    .replace(/·/g, ".")
    .replace(/\s+/g, " ")
    .trim();
}

/** The singular of a plural English word, as far as names in a sales model need ("categories"). */
export function singular(word: string): string {
  if (word.length <= 3) return word;
  if (word.endsWith("ies")) return `${word.slice(0, -3)}y`;
  if (/(ss|us|is)$/.test(word)) return word;
  if (/(sh|ch|x)es$/.test(word)) return word.slice(0, -2);
  if (word.endsWith("s")) return word.slice(0, -1);
  return word;
}

/**
 * Optimal-string-alignment distance (Levenshtein plus adjacent transpositions, "emae" → "emea" is
 * one edit), giving up beyond `max`. Hand-written: a question is matched against every member of
 * every dimension (thousands of products), and the npm implementations allocate a full matrix per
 * pair without a bound.
 */
export function typoDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, prev2[j - 2]! + 1);
      row.push(v);
      if (v < best) best = v;
    }
    if (best > max) return max + 1;
    prev2 = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/** Numbers written as words ("last two weeks", "top five products"). */
export const NUMBER_WORDS: Record<string, number> = {
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
  eleven: 11,
  twelve: 12,
  fourteen: 14,
  twenty: 20,
  thirty: 30,
  ninety: 90,
};

/** How many typos a word of this length may carry and still be recognized. */
export function typoBudget(length: number): number {
  if (length <= 3) return 0;
  if (length <= 7) return 1;
  return 2;
}

/**
 * Words that carry no meaning of their own here: question words, pronouns, auxiliaries, polite
 * phrasing and the verbs people use for selling. Anything else a question says must be understood,
 * or the question is not answered.
 */
export const FILLER = new Set(
  `a an the of in on at for to from with within into about as is are was were be been being am do does
  did done doing have has had having what whats which who how much many show me tell give get list
  display report please can could would will you your i we our us my let lets see know want need
  find look looking up there their its it this that these those and or but so just also only kindly
  quick quickly total overall value values number numbers figure figures amount amounts level levels
  data stats statistic statistics metric metrics kpi kpis business company whole entire all every
  any each some make made making bring brought generate generated generating earn earned earning
  sell sold selling sells do did come came happen happened look looked like go went going perform
  performed performing doing be by per across over during between than vs versus compared compare
  comparison against relative breakdown broken split down up change changed changes growth grow grew
  growing increase increased decrease decreased rise rose fall fell drop dropped dip dipped move moved
  movement trend trends trending time period periods range day days date dates rate pls thanks thank
  hi hello hey okay ok result results whole far latest current currently recent recently same
  period how's hows where when were weve i'd id im figure out account accounted accounts represent
  represented represents`.split(/\s+/),
);
