/**
 * A chart in words: what a screen reader announces for it, and the line under its title. Pure, so
 * the wording is tested without a browser.
 */
import { countOf, formatShortDay, formatValue, type ValueKind } from "./format.ts";

/** "30 days from Oct 28, 2026 to Nov 26, 2026; highest $1,200.00 on Nov 3, 2026, lowest $0.00 on Nov 1, 2026." */
export function describeSeries(
  days: readonly string[],
  values: readonly (number | null)[],
  kind: ValueKind,
): string {
  let hi = -1;
  let lo = -1;
  values.forEach((v, i) => {
    if (v === null) return;
    if (hi < 0 || v > (values[hi] as number)) hi = i;
    if (lo < 0 || v < (values[lo] as number)) lo = i;
  });
  if (hi < 0) return "No data in this range.";
  const at = (i: number) => `${formatValue(values[i] as number, kind)} on ${formatShortDay(days[i] ?? "")}`;
  if (days.length === 1)
    return `1 day, ${formatShortDay(days[0] ?? "")}: ${formatValue(values[0] as number, kind)}.`;
  return `${countOf(days.length, "day")} from ${formatShortDay(days[0] ?? "")} to ${formatShortDay(days[days.length - 1] ?? "")}; highest ${at(hi)}, lowest ${at(lo)}.`;
}
