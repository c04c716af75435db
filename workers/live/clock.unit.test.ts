import { describe, expect, it } from "vitest";
import { nextDayStart, nextHour, windowsOf } from "./clock.ts";

const at = (iso: string) => Date.parse(iso);

describe("nextDayStart", () => {
  it.each([
    { zone: "UTC", now: "2026-11-25T13:37:12Z", next: "2026-11-26T00:00:00Z" },
    { zone: "UTC", now: "2026-11-25T23:59:59.999Z", next: "2026-11-26T00:00:00Z" },
    { zone: "Asia/Kolkata", now: "2026-11-25T13:37:00Z", next: "2026-11-25T18:30:00Z" },
    { zone: "America/New_York", now: "2026-11-25T13:37:00Z", next: "2026-11-26T05:00:00Z" },
    // The day DST ends in New York is 25 hours long.
    { zone: "America/New_York", now: "2026-11-01T04:30:00Z", next: "2026-11-02T05:00:00Z" },
    { zone: "Asia/Kathmandu", now: "2026-11-25T00:00:00Z", next: "2026-11-25T18:15:00Z" },
  ])("$zone at $now → $next", ({ zone, now, next }) => {
    expect(new Date(nextDayStart(at(now), zone)).toISOString()).toBe(new Date(next).toISOString());
  });
});

describe("windowsOf", () => {
  it("counts the current minute and today in the window; 0 means none", () => {
    const now = at("2026-11-25T10:30:45Z");
    expect(windowsOf({ minutes: 60, days: 7 }, now, "2026-11-25")).toEqual({
      minuteFrom: at("2026-11-25T09:31:00Z") / 1000,
      dayFrom: "2026-11-19",
    });
    expect(windowsOf({ minutes: 0, days: 0 }, now, "2026-11-25")).toEqual({
      minuteFrom: null,
      dayFrom: null,
    });
    expect(windowsOf({ minutes: 1, days: 1 }, now, "2026-03-01")).toEqual({
      minuteFrom: at("2026-11-25T10:30:00Z") / 1000,
      dayFrom: "2026-03-01",
    });
  });

  it("nextHour is the next full hour", () => {
    expect(new Date(nextHour(at("2026-11-25T10:00:00Z"))).toISOString()).toBe("2026-11-25T11:00:00.000Z");
  });
});
