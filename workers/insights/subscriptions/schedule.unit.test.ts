import { describe, expect, it } from "vitest";
import { dueDate, localClock, nextDelivery, startingLastSent } from "./schedule.ts";

const at = (iso: string) => new Date(iso);

describe("briefing schedule", () => {
  it("reads the local date and minute in the subscriber's time zone", () => {
    // 23:30 UTC on 1 March is 08:30 on 2 March in Tokyo and 18:30 on 1 March in New York.
    expect(localClock(at("2026-03-01T23:30:00Z"), "Asia/Tokyo")).toEqual({ date: "2026-03-02", minute: 510 });
    expect(localClock(at("2026-03-01T23:30:00Z"), "America/New_York")).toEqual({
      date: "2026-03-01",
      minute: 1110,
    });
  });

  it("is due once a day, at or after the local time", () => {
    const s = { localTime: "07:30", timezone: "Europe/Paris", lastSentDate: null };
    expect(dueDate(s, at("2026-07-01T05:29:00Z"))).toBeNull(); // 07:29 in Paris (UTC+2)
    expect(dueDate(s, at("2026-07-01T05:30:00Z"))).toBe("2026-07-01");
    expect(dueDate({ ...s, lastSentDate: "2026-07-01" }, at("2026-07-01T18:00:00Z"))).toBeNull();
    expect(dueDate({ ...s, lastSentDate: "2026-07-01" }, at("2026-07-02T05:35:00Z"))).toBe("2026-07-02");
    // After a missed morning (the scheduler was down) it still goes out later that day, once.
    expect(dueDate({ ...s, lastSentDate: "2026-06-29" }, at("2026-07-01T15:00:00Z"))).toBe("2026-07-01");
  });

  it("follows daylight saving time: 07:30 local in winter and in summer", () => {
    const s = { localTime: "07:30", timezone: "Europe/Paris", lastSentDate: null };
    expect(dueDate(s, at("2026-01-15T06:29:00Z"))).toBeNull(); // 07:29 CET
    expect(dueDate(s, at("2026-01-15T06:30:00Z"))).toBe("2026-01-15");
  });

  it("starts tomorrow when subscribed after today's time", () => {
    const now = at("2026-07-01T12:00:00Z");
    const late = { localTime: "07:30", timezone: "UTC" };
    expect(startingLastSent(late, now)).toBe("2026-07-01");
    expect(nextDelivery({ ...late, lastSentDate: startingLastSent(late, now) }, now)).toBe("2026-07-02");
    const early = { localTime: "18:00", timezone: "UTC" };
    expect(startingLastSent(early, now)).toBeNull();
    expect(nextDelivery({ ...early, lastSentDate: null }, now)).toBe("2026-07-01");
  });
});
