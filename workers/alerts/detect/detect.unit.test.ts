import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hourlySeries } from "../testing/business-series.ts";
import { breachZ, createDetector, DETECTORS } from "./index.ts";
import { parseSeriesCsv, scoreSeries, scoresCsv } from "./offline.ts";
import { describePace, pace } from "./pacing.ts";
import { seasonalDetector, slotOf } from "./seasonal.ts";
import { streamingDetector } from "./streaming.ts";
import { zscoreDetector } from "./zscore.ts";

const HOUR = 3600_000;
/** Monday 2030-01-07 00:00 UTC. */
const MONDAY = Date.UTC(2030, 0, 7);

describe("every detector", () => {
  it.each(DETECTORS)("%s scores each point from earlier points only, in [0, 1]", (name) => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 400 }),
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 50 }),
        (prefix, tailA) => {
          const run = (values: number[]) => {
            const detector = createDetector(name);
            return values.map((value, i) => detector.next({ t: MONDAY + i * HOUR, value }).score);
          };
          const a = run([...prefix, ...tailA]);
          const b = run([...prefix, ...tailA.map((v) => -v + 17)]);
          expect(a.slice(0, prefix.length)).toEqual(b.slice(0, prefix.length));
          for (const s of a) expect(s >= 0 && s <= 1).toBe(true);
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe("zscore (the seed's rule)", () => {
  it.each([
    {
      name: "warming up with 6 values",
      history: [10, 11, 9, 10, 11, 9],
      value: 50,
      state: "warming_up",
      breach: false,
    },
    {
      name: "within 2σ",
      history: [10, 12, 8, 10, 12, 8, 10, 12, 8],
      value: 11,
      state: "ready",
      breach: false,
    },
    {
      name: "beyond 2σ",
      history: [10, 12, 8, 10, 12, 8, 10, 12, 8],
      value: 14,
      state: "ready",
      breach: true,
    },
    {
      name: "a flat window and a move",
      history: [5, 5, 5, 5, 5, 5, 5, 5],
      value: 6,
      state: "ready",
      breach: true,
    },
  ])("$name", ({ history, value, state, breach }) => {
    const detector = zscoreDetector();
    for (const [i, v] of history.entries()) detector.next({ t: i, value: v });
    const verdict = detector.next({ t: history.length, value });
    expect(verdict.state).toBe(state);
    expect(verdict.z !== null && Math.abs(verdict.z) >= breachZ("zscore", "medium")).toBe(breach);
  });

  it("calls every Sunday of a weekly rhythm an anomaly — why it is not the default", () => {
    const detector = zscoreDetector();
    const days = Array.from({ length: 70 }, (_, i) => ({
      t: MONDAY + i * 24 * HOUR,
      value: i % 7 === 6 ? 40 : 100,
    }));
    const flagged = days.map((d) => detector.next(d)).filter((v) => v.z !== null && Math.abs(v.z) >= 2);
    expect(flagged.length).toBeGreaterThan(5);
  });
});

describe("seasonal (hour-of-week median/MAD)", () => {
  it("puts Monday 00:00 in slot 0 and Sunday 23:00 in slot 167", () => {
    expect(slotOf(MONDAY, { slotMinutes: 60, utcOffsetMinutes: 0 })).toBe(0);
    expect(slotOf(MONDAY - HOUR, { slotMinutes: 60, utcOffsetMinutes: 0 })).toBe(167);
    // 23:00 UTC on Sunday is Monday 01:00 at UTC+2.
    expect(slotOf(MONDAY - HOUR, { slotMinutes: 60, utcOffsetMinutes: 120 })).toBe(1);
  });

  it("says it is warming up until a slot has three earlier weeks", () => {
    const detector = seasonalDetector();
    const verdicts = [0, 1, 2, 3].map((week) => detector.next({ t: MONDAY + week * 168 * HOUR, value: 100 }));
    expect(verdicts.map((v) => v.state)).toEqual(["warming_up", "warming_up", "warming_up", "ready"]);
    expect(verdicts[3]!.expected).toBe(100);
  });

  it.each([1, 2, 3, 4, 5])(
    "breaches twice running at no normal night or weekend, and when traffic stops on a Tuesday at 14:00 (seed %i)",
    (seed) => {
      const series = hourlySeries(MONDAY, 6 * 168, { seed });
      const detector = seasonalDetector({ unit: 1 });
      const threshold = breachZ("seasonal", "medium");
      const breached = (value: number | null) => value !== null && Math.abs(value) >= threshold;
      // Rules fire after two breaches in a row by default (`for_updates`).
      const zs = series.map((p) => detector.next(p).z);
      const twiceRunning = zs.filter((z, i) => i > 0 && breached(z) && breached(zs[i - 1]!));
      expect(twiceRunning).toEqual([]);
      const tuesday = MONDAY + 6 * 168 * HOUR + 24 * HOUR;
      detector.next({ t: tuesday + 13 * HOUR, value: 55 });
      const quiet = [14, 15].map((h) => detector.next({ t: tuesday + h * HOUR, value: 0 }));
      expect(quiet.map((v) => breached(v.z))).toEqual([true, true]);
    },
  );

  it("ignores one odd week in its history", () => {
    const detector = seasonalDetector();
    for (const [week, value] of [100, 5, 102, 98, 101].entries())
      detector.next({ t: MONDAY + week * 168 * HOUR, value });
    const verdict = detector.next({ t: MONDAY + 5 * 168 * HOUR, value: 99 });
    expect(verdict.expected).toBe(100);
    expect(Math.abs(verdict.z!)).toBeLessThan(1);
  });
});

describe("pacing", () => {
  it.each([
    {
      today: 620,
      history: [1000, 980, 1020, 1010],
      state: "ready",
      pct: -38,
      sentence: "revenue is 38 % below a normal Wednesday at 14:05",
    },
    {
      today: 1000,
      history: [1000, 980, 1020],
      state: "ready",
      pct: 0,
      sentence: "revenue is in line with a normal Wednesday at 14:05",
    },
    {
      today: 1500,
      history: [1000, 980, 1020],
      state: "ready",
      pct: 50,
      sentence: "revenue is 50 % above a normal Wednesday at 14:05",
    },
    {
      today: 10,
      history: [1000, 980],
      state: "warming_up",
      pct: null,
      sentence: "revenue: not enough history to compare with a normal Wednesday at 14:05",
    },
  ])("$today against $history", ({ today, history, state, sentence }) => {
    const verdict = pace(today, history);
    expect(verdict.state).toBe(state);
    // Wednesday 2030-01-09 14:05 UTC.
    expect(describePace("revenue", verdict, Date.UTC(2030, 0, 9, 14, 5))).toBe(sentence);
  });
});

describe("streaming (general)", () => {
  it("scores a new extreme after a stable stretch far above the stretch's own points, once", () => {
    const detector = streamingDetector();
    const scores = Array.from({ length: 300 }, (_, i) => detector.next({ t: i, value: 10 + (i % 5) }).score);
    const spike = detector.next({ t: 300, value: 40 }).score;
    const again = detector.next({ t: 301, value: 39 }).score;
    expect(spike).toBeGreaterThan(Math.max(...scores.slice(60)));
    expect(again).toBeLessThan(spike);
  });
});

describe("offline CSV", () => {
  it("keeps rows, order and text, adds the score", () => {
    const rows = parseSeriesCsv("timestamp,value\r\n2014-07-01 00:00:00,10844\n2014-07-01 00:30:00,8127\n");
    expect(rows.map((r) => r.t)).toEqual([Date.UTC(2014, 6, 1), Date.UTC(2014, 6, 1, 0, 30)]);
    expect(scoresCsv(rows, scoreSeries(rows, createDetector("streaming")))).toBe(
      "timestamp,value,anomaly_score\n2014-07-01 00:00:00,10844,0\n2014-07-01 00:30:00,8127,0\n",
    );
  });

  it.each([
    ["value,timestamp\n1,2", 'the first line must be the header "timestamp,value"'],
    ["timestamp,value\nyesterday,3", 'line 2: "yesterday" is not a timestamp'],
    ["timestamp,value\n2014-07-01 00:00:00,abc", 'line 2: "abc" is not a number'],
  ])("rejects %j", (text, message) => {
    expect(() => parseSeriesCsv(text)).toThrow(message);
  });
});
