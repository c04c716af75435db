/**
 * Time expressions in a question (pure): "yesterday", "last week", "Q3 FY2026", "since March",
 * "from 3 to 17 November", "last Tuesday"… each becomes an exact calendar period, cut at today.
 *
 * Written here rather than taken from a date-parsing library: those resolve phrases to instants
 * ("last week" = seven days ago) while an answer needs business periods with exact bounds — ISO
 * weeks, calendar and fiscal quarters, to-date periods — and a small grammar, tested as a table,
 * says exactly what each phrase means.
 *
 * Conventions: "last/previous X" is the previous whole calendar X; "this X" and "X to date" run
 * from its start to today; "last/past N days|weeks|months" ends today (like the API's default 30
 * days); a month or weekday without a year is the most recent one that has begun; "last Tuesday"
 * is the most recent Tuesday before today.
 */
import { addDays, addYears, daysBetween } from "../kpi/calendar.ts";
import {
  addMonths,
  fiscalQuarter,
  fiscalYear,
  isoWeekday,
  month,
  type Period,
  parts,
  periodOf,
  quarter,
  shiftPeriod,
  type Unit,
  year,
  ymd,
} from "./calendar.ts";
import { NUMBER_WORDS } from "./text.ts";

export interface TimeMatch {
  start: number;
  end: number;
  text: string;
  /** A period; `compare`: a comparison marker ("same period last year", "the week before"). */
  kind: "period" | "compare" | "future";
  period?: Period;
  compare?: "previous_period" | "previous_year";
  /** The unit the phrase names ("last week" → week), a hint for the grain of a trend. */
  unit?: Unit;
}

const MONTHS = [
  "jan(?:uary)?",
  "feb(?:ruary)?",
  "mar(?:ch)?",
  "apr(?:il)?",
  "may",
  "june?",
  "july?",
  "aug(?:ust)?",
  "sep(?:t(?:ember)?)?",
  "oct(?:ober)?",
  "nov(?:ember)?",
  "dec(?:ember)?",
];
const MONTH = `(${MONTHS.join("|")})`;
const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
const WEEKDAY = `(${WEEKDAYS.join("|")})`;
const COUNT = `(\\d{1,3}|${Object.keys(NUMBER_WORDS).join("|")})`;
const ORDINALS: Record<string, number> = {
  first: 1,
  second: 2,
  third: 3,
  fourth: 4,
  "1st": 1,
  "2nd": 2,
  "3rd": 3,
  "4th": 4,
};
const ORDINAL = "(first|second|third|fourth|1st|2nd|3rd|4th)";
const DAY = "(\\d{1,2})(?:st|nd|rd|th)?";
const YEAR = "((?:19|20)\\d{2})";
const UNIT = "(day|week|month|quarter|year|fiscal year|fiscal quarter)";

const count = (s: string) => NUMBER_WORDS[s] ?? Number(s);
const monthIndex = (s: string) => MONTHS.findIndex((m) => new RegExp(`^(?:${m})$`).test(s)) + 1;
const weekdayIndex = (s: string) => WEEKDAYS.findIndex((d) => s.startsWith(d.slice(0, 3))) + 1;
const fullYear = (s: string) => (s.length === 2 ? 2000 + Number(s) : Number(s));
const unitOf = (s: string) => s.replace(" ", "_") as Unit;

interface Ctx {
  today: string;
}

type Resolve = (m: RegExpExecArray, ctx: Ctx) => Omit<TimeMatch, "start" | "end" | "text"> | null;

/** The most recent month `m` (1–12) that has begun by `today`. */
function recentMonth(m: number, ctx: Ctx, y?: number): Period {
  const [ty, tm] = parts(ctx.today);
  return month(y ?? (m <= tm ? ty : ty - 1), m);
}

/** A day of a month; without a year, the most recent such day not after today. */
function dayOf(d: number, m: number, ctx: Ctx, y?: number): string | null {
  const [ty] = parts(ctx.today);
  const pick = (yy: number) => ymd(yy, m, d);
  if (m < 1 || m > 12 || d < 1 || d > new Date(Date.UTC(y ?? ty, m, 0)).getUTCDate()) return null;
  if (y !== undefined) return pick(y);
  return pick(ty) <= ctx.today ? pick(ty) : pick(ty - 1);
}

/** The most recent weekday `w` strictly before today ("last Tuesday"), or on/before today. */
function recentWeekday(w: number, ctx: Ctx, strict: boolean): string {
  const back = (isoWeekday(ctx.today) - w + 7) % 7 || (strict ? 7 : 0);
  return addDays(ctx.today, -back);
}

const period = (p: Period, unit?: Unit) => ({
  kind: "period" as const,
  period: p,
  ...(unit ? { unit } : {}),
});
const future = () => ({ kind: "future" as const });

/** A date phrase resolved on its own ("3 november 2026", "2026-11-03", "march 3rd"). */
function explicitDate(text: string, ctx: Ctx): string | null {
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m) return dayOf(Number(m[3]), Number(m[2]), ctx, Number(m[1]));
  m = new RegExp(`^${DAY} (?:of )?${MONTH}(?: ${YEAR})?$`).exec(text);
  if (m) return dayOf(Number(m[1]), monthIndex(m[2]!), ctx, m[3] ? Number(m[3]) : undefined);
  m = new RegExp(`^${MONTH} ${DAY}(?: ${YEAR})?$`).exec(text);
  if (m) return dayOf(Number(m[2]), monthIndex(m[1]!), ctx, m[3] ? Number(m[3]) : undefined);
  return null;
}

const DATE = `((?:\\d{4}-\\d{2}-\\d{2})|(?:${DAY} (?:of )?${MONTH}(?: ${YEAR})?)|(?:${MONTH} ${DAY}(?: ${YEAR})?))`;

/** Rules, tried everywhere; overlapping matches keep the longest, then the earliest. */
const RULES: [RegExp, Resolve][] = [
  // Comparison markers, before the periods they contain.
  [
    /\b(?:(?:the )?same (?:period|time|day|week|month|quarter) (?:last|a|the previous|the prior) year|(?:a|one) year (?:ago|earlier|before)|the (?:previous|prior) year|year over year|yoy|year on year)\b/,
    () => ({ kind: "compare", compare: "previous_year" }),
  ],
  [
    /\b(?:the (?:previous|prior|preceding) (?:period|day|week|month|quarter|\d+ days)|(?:previous|prior|preceding) period|the (?:day|week|month|quarter|period) before|period over period|(?:week|month|day|quarter) over (?:week|month|day|quarter)|wow|mom|dod)\b/,
    () => ({ kind: "compare", compare: "previous_period" }),
  ],
  [
    /\b(?:tomorrow|next (?:day|week|month|quarter|year|fiscal year|fiscal quarter|\d+ \w+)|upcoming|coming (?:week|month|quarter|year)|rest of the (?:week|month|quarter|year))\b/,
    future,
  ],
  [
    /\b(?:the day before yesterday)\b/,
    (_m, c) => period({ from: addDays(c.today, -2), to: addDays(c.today, -2) }, "day"),
  ],
  [/\btoday\b|\bso far today\b/, (_m, c) => period({ from: c.today, to: c.today }, "day")],
  [/\byesterday\b/, (_m, c) => period({ from: addDays(c.today, -1), to: addDays(c.today, -1) }, "day")],
  [
    new RegExp(`\\b(this|current|last|previous|prior|past) ${UNIT}\\b`),
    (m, c) => {
      const unit = unitOf(m[2]!);
      if (m[1] === "this" || m[1] === "current")
        return period({ from: periodOf(unit, c.today).from, to: c.today }, unit);
      if (m[1] === "past" && unit === "day") return period({ from: addDays(c.today, -1), to: c.today }, unit);
      if (m[1] === "past") return rolling(1, unit, c);
      return period(shiftPeriod(unit, c.today, -1), unit);
    },
  ],
  [
    new RegExp(
      `\\b(?:the )?(?:last|past|previous|prior|trailing) ${COUNT} (day|week|month|quarter|year)s?\\b`,
    ),
    (m, c) => rolling(count(m[1]!), m[2] as Unit, c),
  ],
  [
    /\b(?:(fiscal )?(ytd|qtd|mtd|wtd)|(fiscal )?(year|quarter|month|week) to date|so far this (year|quarter|month|week)|(fiscal )?(year|quarter|month|week) so far)\b/,
    (m, c) => {
      const abbreviation = { ytd: "year", qtd: "quarter", mtd: "month", wtd: "week" } as const;
      const base = (m[2] ? abbreviation[m[2] as keyof typeof abbreviation] : (m[4] ?? m[5] ?? m[7])) as Unit;
      const fiscal = Boolean(m[1] || m[3] || m[6]) && (base === "year" || base === "quarter");
      const unit = (fiscal ? `fiscal_${base}` : base) as Unit;
      return period({ from: periodOf(unit, c.today).from, to: c.today }, unit);
    },
  ],
  [
    /\b(?:q([1-4]) (?:of )?(?:fy|fiscal year|fiscal) ?'?(\d{4}|\d{2})|(?:fy|fiscal year) ?'?(\d{4}|\d{2}) q([1-4])|fiscal q([1-4])(?: (?:of )?((?:19|20)\d{2}))?|(first|second|third|fourth) fiscal quarter(?: of (?:fy ?)?((?:19|20)\d{2}))?|fq([1-4])(?: ((?:19|20)\d{2}))?)\b/,
    (m, c) => {
      const q = Number(m[1] ?? m[4] ?? m[5] ?? m[9]) || ORDINALS[m[7] ?? ""]!;
      const given = m[2] ?? m[3] ?? m[6] ?? m[8] ?? m[10];
      const fy = given ? fullYear(given) : recentFiscalYear(q, c);
      return period(fiscalQuarter(fy, q), "fiscal_quarter");
    },
  ],
  [
    /\b(?:fy ?'?(\d{4}|\d{2})|fiscal (?:year )?((?:19|20)\d{2}))\b/,
    (m) => period(fiscalYear(fullYear(m[1] ?? m[2]!)), "fiscal_year"),
  ],
  [
    new RegExp(`\\b(?:q([1-4])|${ORDINAL} quarter)(?: (?:of )?${YEAR})?\\b`),
    (m, c) => {
      const q = m[1] ? Number(m[1]) : ORDINALS[m[2]!]!;
      const [ty, tm] = parts(c.today);
      const y = m[3] ? Number(m[3]) : q <= Math.ceil(tm / 3) ? ty : ty - 1;
      return period(quarter(y, q), "quarter");
    },
  ],
  [
    new RegExp(`\\b(?:from |between )?${DATE} (?:to|until|till|through|thru|and|-) ${DATE}\\b`),
    (m, c) => {
      const [a, b] = splitRange(m[0]!);
      const to = explicitDate(b, c);
      if (!to) return null;
      const from = explicitDate(a, c) ?? null;
      return from && from <= to ? period({ from, to }) : null;
    },
  ],
  [
    new RegExp(
      `\\b(?:from |between )?(?:the )?${DAY} (?:to|until|till|through|thru|and|-) (?:the )?${DAY} (?:of )?${MONTH}(?: ${YEAR})?\\b`,
    ),
    (m, c) => {
      const mo = monthIndex(m[3]!);
      const y = m[4] ? Number(m[4]) : undefined;
      const to = dayOf(Number(m[2]), mo, c, y);
      if (!to) return null;
      const from = dayOf(Number(m[1]), mo, c, Number(to.slice(0, 4)));
      return from && from <= to ? period({ from, to }) : null;
    },
  ],
  [
    new RegExp(
      `\\b(?:from |between )?${MONTH} ${DAY} (?:to|until|till|through|thru|and|-) ${DAY}(?: ${YEAR})?\\b`,
    ),
    (m, c) => {
      const mo = monthIndex(m[1]!);
      const y = m[4] ? Number(m[4]) : undefined;
      const to = dayOf(Number(m[3]), mo, c, y);
      if (!to) return null;
      const from = dayOf(Number(m[2]), mo, c, Number(to.slice(0, 4)));
      return from && from <= to ? period({ from, to }) : null;
    },
  ],
  [
    new RegExp(
      `\\b(?:from |between )?${MONTH}(?: ${YEAR})? (?:to|until|till|through|thru|and|-) ${MONTH}(?: ${YEAR})?\\b`,
    ),
    (m, c) => {
      const end = recentMonth(monthIndex(m[3]!), c, m[4] ? Number(m[4]) : undefined);
      const startMonth = monthIndex(m[1]!);
      let y = m[2] ? Number(m[2]) : Number(end.from.slice(0, 4));
      if (!m[2] && startMonth > Number(end.from.slice(5, 7))) y -= 1;
      const start = month(y, startMonth);
      return start.from <= end.from ? period({ from: start.from, to: end.to }) : null;
    },
  ],
  [
    /\bsince (?:the )?(?:start of |beginning of )?(.+?)(?=$| (?:in|for|by|per|vs|versus|compared|against|and|with|across|split)\b)/,
    (m, c) => {
      const start = startOf(m[1]!, c);
      return start && start <= c.today ? period({ from: start, to: c.today }) : null;
    },
  ],
  [
    new RegExp(`\\b${DATE}\\b`),
    (m, c) => {
      const d = explicitDate(m[0]!, c);
      return d ? period({ from: d, to: d }, "day") : null;
    },
  ],
  [
    new RegExp(`\\b(?:(last|this past|past|on|this) )?${WEEKDAY}\\b`),
    (m, c) => {
      const d = recentWeekday(weekdayIndex(m[2]!), c, m[1] !== "on" && m[1] !== "this" && m[1] !== undefined);
      return period({ from: d, to: d }, "day");
    },
  ],
  [
    new RegExp(`\\b(?:(?:in|during|for|of) )?${MONTH}(?: (?:of )?${YEAR})?\\b`),
    (m, c) => {
      // "may" is a verb too: only as a month with a year or after in/during/for/of.
      if (m[1] === "may" && !m[2] && !/^(in|during|for|of) /.test(m[0]!)) return null;
      if (/^mar$/.test(m[1]!) && !m[2] && !/^(in|during|for|of) /.test(m[0]!)) return null;
      return period(recentMonth(monthIndex(m[1]!), c, m[2] ? Number(m[2]) : undefined), "month");
    },
  ],
  // A year on its own; not the start of a malformed ISO date ("2058-13-01").
  [
    new RegExp(`\\b(?:(?:in|during|for|of|year|calendar year) )?${YEAR}\\b(?!-)`),
    (m) => period(year(Number(m[1])), "year"),
  ],
];

function splitRange(text: string): [string, string] {
  const body = text.replace(/^(from|between) /, "");
  const m = / (?:to|until|till|through|thru|and|-) /.exec(body)!;
  return [body.slice(0, m.index), body.slice(m.index + m[0].length)];
}

/** The most recent fiscal year whose quarter `q` has begun. */
function recentFiscalYear(q: number, ctx: Ctx): number {
  const fy = Number(fiscalYear(Number(ctx.today.slice(0, 4)) + 1).to.slice(0, 4));
  for (let y = fy + 1; ; y--) if (fiscalQuarter(y, q).from <= ctx.today) return y;
}

function rolling(n: number, unit: Unit, ctx: Ctx) {
  if (n < 1) return null;
  const to = ctx.today;
  const back =
    unit === "day"
      ? addDays(to, -n)
      : unit === "week"
        ? addDays(to, -7 * n)
        : unit === "month"
          ? addMonths(to, -n)
          : unit === "quarter"
            ? addMonths(to, -3 * n)
            : addYears(to, -n);
  return period({ from: addDays(back, 1), to }, unit);
}

/** The first day of what follows "since" (a month, a date, a weekday, a quarter, a year). */
function startOf(text: string, ctx: Ctx): string | null {
  const [t] = findTimes(text, ctx.today);
  return t?.period && t.start === 0 && t.end === text.length ? t.period.from : null;
}

/**
 * Every time expression in `text` (normalized: lower case, single spaces), without overlaps, in
 * order, each period cut at today. A period wholly after today is marked `future`.
 */
export function findTimes(text: string, today: string): TimeMatch[] {
  const ctx = { today };
  const found: TimeMatch[] = [];
  for (const [re, resolve] of RULES) {
    const global = new RegExp(re.source, "g");
    for (let m = global.exec(text); m; m = global.exec(text)) {
      if (m[0] === "") {
        global.lastIndex++;
        continue;
      }
      const r = resolve(m, ctx);
      if (r) found.push({ ...r, start: m.index, end: m.index + m[0].length, text: m[0] });
    }
  }
  found.sort((a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start);
  const kept: TimeMatch[] = [];
  for (const f of found) if (!kept.some((k) => f.start < k.end && k.start < f.end)) kept.push(f);
  return kept
    .sort((a, b) => a.start - b.start)
    .map((k) => {
      if (!k.period) return k;
      if (k.period.from > today) return { ...k, kind: "future" as const, period: undefined };
      return k.period.to > today ? { ...k, period: { from: k.period.from, to: today } } : k;
    });
}

/** Days in a period (inclusive). */
export const lengthOf = (p: Period) => daysBetween(p.from, p.to) + 1;
