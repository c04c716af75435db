/**
 * RFM segmentation (pure): the seed's `mv_customer_segments` made explicit. Each customer gets
 * recency, frequency and monetary scores from 1 to 5 (by percent rank over all customers, so equal
 * behaviour gets an equal score), and a segment from the recency × frequency grid below — the
 * common eleven-segment map, complete: every (R, F) pair has exactly one segment.
 *
 * Lifetime value is historical: the customer's net revenue to date.
 */

export interface RfmSegment {
  name: string;
  label: string;
  description: string;
  /** Inclusive score ranges this segment covers. */
  recency: [number, number];
  frequency: [number, number];
}

export const RFM_SEGMENTS: RfmSegment[] = [
  {
    name: "champions",
    label: "Champions",
    description: "Bought recently, buy often.",
    recency: [5, 5],
    frequency: [4, 5],
  },
  {
    name: "loyal",
    label: "Loyal",
    description: "Buy often, fairly recently.",
    recency: [3, 4],
    frequency: [4, 5],
  },
  {
    name: "potential_loyalists",
    label: "Potential loyalists",
    description: "Recent, a few orders.",
    recency: [4, 5],
    frequency: [2, 3],
  },
  {
    name: "new",
    label: "New",
    description: "Bought very recently, once or so.",
    recency: [5, 5],
    frequency: [1, 1],
  },
  {
    name: "promising",
    label: "Promising",
    description: "Recent, one order.",
    recency: [4, 4],
    frequency: [1, 1],
  },
  {
    name: "need_attention",
    label: "Need attention",
    description: "Average recency and frequency.",
    recency: [3, 3],
    frequency: [3, 3],
  },
  {
    name: "about_to_sleep",
    label: "About to sleep",
    description: "Slipping away, few orders.",
    recency: [3, 3],
    frequency: [1, 2],
  },
  {
    name: "cannot_lose",
    label: "Cannot lose",
    description: "Used to buy the most, not lately.",
    recency: [1, 2],
    frequency: [5, 5],
  },
  {
    name: "at_risk",
    label: "At risk",
    description: "Bought often, long ago.",
    recency: [1, 2],
    frequency: [3, 4],
  },
  {
    name: "hibernating",
    label: "Hibernating",
    description: "Long ago, few orders.",
    recency: [1, 2],
    frequency: [1, 2],
  },
];

const within = (v: number, [lo, hi]: [number, number]) => v >= lo && v <= hi;

export function segmentOf(recency: number, frequency: number): RfmSegment {
  const s = RFM_SEGMENTS.find((x) => within(recency, x.recency) && within(frequency, x.frequency));
  if (!s) throw new Error(`no RFM segment for R=${recency} F=${frequency}`);
  return s;
}

/** A 1–5 score from a percent rank in [0, 1]: the lowest value scores 1, the highest 5. */
export function score(percentRank: number): number {
  return Math.min(5, 1 + Math.floor(5 * percentRank));
}

/** The same score in SQL (`percent_rank() OVER (ORDER BY …)`). */
export const scoreSql = (orderBy: string) =>
  `least(5, 1 + floor(5 * percent_rank() OVER (ORDER BY ${orderBy})))::int`;

/** The grid as a SQL CASE over score columns (built from the constants above, no input). */
export function segmentCaseSql(r: string, f: string): string {
  const arms = RFM_SEGMENTS.map(
    (s) =>
      `WHEN ${r} BETWEEN ${s.recency[0]} AND ${s.recency[1]} AND ${f} BETWEEN ${s.frequency[0]} AND ${s.frequency[1]} THEN '${s.name}'`,
  );
  return `CASE ${arms.join(" ")} END`;
}
