/**
 * Calendar periods of the reporting calendar (pure): weeks are ISO weeks (Monday–Sunday, like the
 * model's week grain), quarters are calendar quarters, fiscal years start in the model's month.
 * Dates are `YYYY-MM-DD` strings, zone-free days.
 */
import { addDays, addYears } from "../kpi/calendar.ts";
import { FISCAL_YEAR_START_MONTH } from "../kpi/model.ts";

export interface Period {
  from: string;
  to: string;
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");
export const ymd = (y: number, m: number, d: number) => `${pad(y, 4)}-${pad(m)}-${pad(d)}`;
export const parts = (date: string) => date.split("-").map(Number) as [number, number, number];

/** The number of days in month `m` (1–12) of year `y`. */
export const monthDays = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

/** 1 = Monday … 7 = Sunday. */
export function isoWeekday(date: string): number {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return day === 0 ? 7 : day;
}

/** The same day `months` months away, clamped to the end of a shorter month. */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = parts(date);
  const index = y * 12 + (m - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  return ymd(year, month, Math.min(d, monthDays(year, month)));
}

export const week = (date: string): Period => {
  const from = addDays(date, 1 - isoWeekday(date));
  return { from, to: addDays(from, 6) };
};

export const month = (y: number, m: number): Period => ({
  from: ymd(y, m, 1),
  to: ymd(y, m, monthDays(y, m)),
});

export const quarter = (y: number, q: number): Period => ({
  from: ymd(y, 3 * q - 2, 1),
  to: ymd(y, 3 * q, monthDays(y, 3 * q)),
});

export const year = (y: number): Period => ({ from: ymd(y, 1, 1), to: ymd(y, 12, 31) });

/** Fiscal year `fy` is named after the calendar year it ends in (starting July 2026 = FY2027). */
export function fiscalYear(fy: number, startMonth = FISCAL_YEAR_START_MONTH): Period {
  const from = startMonth === 1 ? ymd(fy, 1, 1) : ymd(fy - 1, startMonth, 1);
  return { from, to: addDays(addMonths(from, 12), -1) };
}

export function fiscalQuarter(fy: number, q: number, startMonth = FISCAL_YEAR_START_MONTH): Period {
  const from = addMonths(fiscalYear(fy, startMonth).from, 3 * (q - 1));
  return { from, to: addDays(addMonths(from, 3), -1) };
}

/** The fiscal year and quarter `date` falls in. */
export function fiscalOf(date: string, startMonth = FISCAL_YEAR_START_MONTH): { fy: number; q: number } {
  const [y, m] = parts(date);
  const fy = startMonth > 1 && m >= startMonth ? y + 1 : y;
  return { fy, q: Math.floor(((m - startMonth + 12) % 12) / 3) + 1 };
}

export type Unit = "day" | "week" | "month" | "quarter" | "year" | "fiscal_quarter" | "fiscal_year";

/** The calendar period of `unit` containing `date`. */
export function periodOf(unit: Unit, date: string): Period {
  const [y, m] = parts(date);
  switch (unit) {
    case "day":
      return { from: date, to: date };
    case "week":
      return week(date);
    case "month":
      return month(y, m);
    case "quarter":
      return quarter(y, Math.ceil(m / 3));
    case "year":
      return year(y);
    case "fiscal_quarter": {
      const f = fiscalOf(date);
      return fiscalQuarter(f.fy, f.q);
    }
    case "fiscal_year":
      return fiscalYear(fiscalOf(date).fy);
  }
}

/** The period of `unit` `n` periods before (negative) or after the one containing `date`. */
export function shiftPeriod(unit: Unit, date: string, n: number): Period {
  const start = periodOf(unit, date).from;
  switch (unit) {
    case "day":
      return periodOf(unit, addDays(start, n));
    case "week":
      return periodOf(unit, addDays(start, 7 * n));
    case "month":
      return periodOf(unit, addMonths(start, n));
    case "quarter":
    case "fiscal_quarter":
      return periodOf(unit, addMonths(start, 3 * n));
    case "year":
    case "fiscal_year":
      return periodOf(unit, addYears(start, n));
  }
}
