/**
 * When a briefing subscription is due (pure): once a day, at or after its local time in its own
 * time zone. A subscription made after today's time has passed starts tomorrow, so subscribing
 * never sends a message at an hour nobody chose.
 */
import { addDays } from "../../kpi/calendar.ts";

export const LOCAL_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

const clocks = new Map<string, Intl.DateTimeFormat>();

/** The local calendar date and minute of the day of `instant` in `timeZone`. */
export function localClock(instant: Date, timeZone: string): { date: string; minute: number } {
  let format = clocks.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    clocks.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(instant).map((p) => [p.type, p.value]));
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    minute: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const minuteOf = (localTime: string) => Number(localTime.slice(0, 2)) * 60 + Number(localTime.slice(3, 5));

export interface Schedule {
  localTime: string;
  timezone: string;
  lastSentDate: string | null;
}

/** The local date whose briefing is due at `now`, or null when nothing is due. */
export function dueDate(s: Schedule, now: Date): string | null {
  const clock = localClock(now, s.timezone);
  if (clock.minute < minuteOf(s.localTime)) return null;
  if (s.lastSentDate !== null && s.lastSentDate >= clock.date) return null;
  return clock.date;
}

/** What a new or changed subscription records as already sent: today when its time has passed. */
export function startingLastSent(s: Omit<Schedule, "lastSentDate">, now: Date): string | null {
  const clock = localClock(now, s.timezone);
  return clock.minute >= minuteOf(s.localTime) ? clock.date : null;
}

/** The local date of the next delivery. */
export function nextDelivery(s: Schedule, now: Date): string {
  const clock = localClock(now, s.timezone);
  const sentToday = s.lastSentDate !== null && s.lastSentDate >= clock.date;
  return sentToday || clock.minute >= minuteOf(s.localTime) ? addDays(clock.date, 1) : clock.date;
}
