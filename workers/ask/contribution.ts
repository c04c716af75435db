/**
 * Contribution analysis (pure): which members of a dimension moved a metric between two periods,
 * from the two periods' breakdowns as the engine computed them. For an additive metric the members'
 * changes add up to the total change, so each gets its share of it; for a ratio (average order
 * value, margin) each member's own change is shown without a share.
 */

export interface MemberValue {
  member: string;
  label: string;
  value: number | null;
}

export interface Contribution {
  dimension: string;
  member: string;
  label: string;
  value: number | null;
  previous: number | null;
  change: number;
  /** The member's change as a percentage of the total change (additive metrics only). */
  share_of_change_pct: number | null;
}

/** Money and counts are exact in cents; changes are computed there so they add up exactly. */
const cents = (v: number) => Math.round(v * 100);

/**
 * The members of `dimension` whose change goes the way of `totalChange`, largest first, at most
 * `limit`. A member missing from one period had no sales in it: 0 for an additive metric, and no
 * change can be stated for a ratio.
 */
export function contributions(
  dimension: string,
  now: MemberValue[],
  before: MemberValue[],
  totalChange: number,
  additive: boolean,
  limit = 3,
): Contribution[] {
  const members = new Map<string, { label: string; now: number | null; before: number | null }>();
  for (const m of now) members.set(m.member, { label: m.label, now: m.value, before: additive ? 0 : null });
  for (const m of before) {
    const seen = members.get(m.member);
    if (seen) seen.before = m.value;
    else members.set(m.member, { label: m.label, now: additive ? 0 : null, before: m.value });
  }
  const direction = Math.sign(totalChange) || 1;
  const rows: Contribution[] = [];
  for (const [member, m] of members) {
    if (m.now === null || m.before === null) continue;
    const change = (cents(m.now) - cents(m.before)) / 100;
    if (Math.sign(change) !== direction) continue;
    rows.push({
      dimension,
      member,
      label: m.label,
      value: m.now,
      previous: m.before,
      change,
      share_of_change_pct: additive && totalChange !== 0 ? (change / totalChange) * 100 : null,
    });
  }
  return rows
    .sort((a, b) => Math.abs(b.change) - Math.abs(a.change) || (a.member < b.member ? -1 : 1))
    .slice(0, limit);
}
