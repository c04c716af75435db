/**
 * Display formatting, in the reader's locale. Amounts are US dollars (the semantic model's
 * currency); the reporting day is a calendar date, so it is formatted in UTC to avoid shifting it
 * by the browser's offset.
 */

const currency = new Intl.NumberFormat(undefined, { style: "currency", currency: "USD" });
const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const day = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeZone: "UTC" });
const clock = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const shortDay = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" });
const percent = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1, minimumFractionDigits: 1 });
const change = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1, signDisplay: "exceptZero" });

export type ValueKind = "currency" | "count" | "percent";

/** Between a figure and its unit, so "12.5 %" never breaks across lines. */
export const NBSP = "\u00a0";

/** "1 day", "2 days": a count with its noun in the right number. */
export function countOf(n: number, singular: string, plural = `${singular}s`): string {
  return `${integer.format(n)} ${n === 1 ? singular : plural}`;
}

export function formatValue(value: number, kind: ValueKind): string {
  if (kind === "percent") return `${percent.format(value)}${NBSP}%`;
  return kind === "currency" ? currency.format(value) : integer.format(value);
}

const compactCurrency = new Intl.NumberFormat(undefined, {
  style: "currency",
  currency: "USD",
  notation: "compact",
  maximumFractionDigits: 2,
});
const compactCount = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 2 });

const wholeCurrency = new Intl.NumberFormat(undefined, {
  style: "currency",
  currency: "USD",
  maximumFractionDigits: 0,
});
const compactCurrency1 = new Intl.NumberFormat(undefined, {
  style: "currency",
  currency: "USD",
  notation: "compact",
  maximumFractionDigits: 1,
});
const compactCurrency0 = new Intl.NumberFormat(undefined, {
  style: "currency",
  currency: "USD",
  notation: "compact",
  maximumFractionDigits: 0,
});
const compactCount1 = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });

/**
 * A headline figure's renderings, from the exact one to the shortest: the first that fits its box
 * is shown ("$125,961.72", "$125,962", "$125.96K", "$126K"), the exact one on hover and focus.
 */
export function headlineCandidates(value: number, kind: ValueKind): string[] {
  const all =
    kind === "percent"
      ? [formatValue(value, kind), `${Math.round(value)}${NBSP}%`]
      : kind === "currency"
        ? [currency.format(value), wholeCurrency.format(value), compactCurrency.format(value)].concat([
            compactCurrency1.format(value),
            compactCurrency0.format(value),
          ])
        : [integer.format(value), compactCount.format(value), compactCount1.format(value)];
  return [...new Set(all)];
}

/** A change in percent with its sign: "+12.5 %", "−3 %", "0 %". */
export function formatChange(pct: number): string {
  return `${change.format(pct)}${NBSP}%`;
}

/** "2026-11-25" → "Nov 25, 2026" (in the reader's language). */
export function formatShortDay(isoDay: string): string {
  const date = new Date(`${isoDay}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? isoDay : shortDay.format(date);
}

/** "2026-11-25" → "Wednesday, November 25, 2026" (in the reader's language). */
export function formatDay(isoDay: string): string {
  const date = new Date(`${isoDay}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? isoDay : day.format(date);
}

export function formatInstant(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : clock.format(date);
}

/** Compact age for "updated … ago": 0s … 59s, 1m … 59m, 1h …, 1d …. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}
