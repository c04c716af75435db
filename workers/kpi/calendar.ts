/** Calendar days in the reporting timezone (pure). */

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The `YYYY-MM-DD` calendar day of `instant` in `timeZone`. */
export function dayIn(instant: Date | string | number, timeZone: string): string {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
    });
    formatters.set(timeZone, format);
  }
  return format.format(new Date(instant));
}

/** Throws a clear error at startup when the configured timezone is not a valid IANA name. */
export function assertTimeZone(timeZone: string): string {
  try {
    dayIn(0, timeZone);
    return timeZone;
  } catch {
    throw new Error(`REPORTING_TZ "${timeZone}" is not an IANA timezone such as UTC or Europe/Berlin`);
  }
}
