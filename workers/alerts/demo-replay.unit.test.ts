/**
 * What a newcomer sees in the first ten minutes of `npm start` at its default speed (~750 orders a
 * day, an order every two minutes): the demo's live stream for the default seed, replayed through
 * the room's evaluation and lifecycle with the default rules (workers/alerts/testing/demo-replay.ts).
 */
import { describe, expect, it } from "vitest";
import { IncidentPlan } from "../../scripts/demo/incidents.ts";
import { DemoStream } from "../../scripts/demo/stream.ts";
import { replayDemo } from "./testing/demo-replay.ts";

const MINUTE = 60_000;
const DAY = 86_400_000;
const TEN_MINUTES = 10 * MINUTE;

// Ordinary days away from the retail calendar: a weekday afternoon, a weekday night (the fewest
// orders a minute), a Saturday.
const STARTS = ["2027-03-10T15:10:00Z", "2027-03-11T03:30:00Z", "2027-03-13T19:45:00Z"];

describe("npm start at speed 1: the first ten minutes", () => {
  it.each(STARTS)(
    "live demo from %s: the price glitch fires and resolves within ten minutes, and nothing else fires",
    (start) => {
      const liveStart = Date.parse(start);
      const replay = replayDemo({ speed: 1, liveStart, minutes: 10 });
      const glitch = replay.incidents[0]!;
      expect(glitch.kind).toBe("price-glitch");
      // The business alone would not tell: a handful of orders in any five minutes.
      expect(replay.sales).toBeLessThan(60);

      const fired = replay.transitions.filter((t) => t.kind === "firing");
      const whole = fired.find((t) => t.rule === "orders-anomaly" && t.slice === "all");
      expect(whole, "the whole business's orders alert fires").toBeDefined();
      expect(whole!.evaluation.summary).toMatch(/orders is \d+ % above a normal \w+day at/);
      const resolved = replay.transitions.find((t) => t.kind === "resolved" && t.alertId === whole!.alertId);
      expect(resolved, "and resolves").toBeDefined();
      expect(resolved!.at - liveStart).toBeLessThanOrEqual(TEN_MINUTES);

      // Every alert is the glitch: fired while it ran or just after, and resolved within the ten
      // minutes (a region whose share of the bargain hunters stands out may fire too).
      for (const t of fired) {
        expect(t.at).toBeGreaterThanOrEqual(glitch.start);
        expect(t.at).toBeLessThan(glitch.end + 2 * MINUTE);
        expect(t.evaluation.deviationPct!).toBeGreaterThan(0);
        expect(replay.transitions.some((r) => r.kind === "resolved" && r.alertId === t.alertId)).toBe(true);
      }
    },
    120_000,
  );

  it("skips a quiet region the demo's volume cannot show, and says why; at speed 10 it is staged", () => {
    const liveStart = Date.parse(STARTS[0]!);
    const planAt = (speed: number) => {
      const plan = new IncidentPlan({ seed: 7, liveStart, everyMinutes: 5 });
      // The stream gives the plan its rhythm (no event is generated here).
      new DemoStream({ seed: 7, epoch: liveStart - 89 * DAY, speed, incidents: plan });
      return plan.incident(1);
    };
    const slow = planAt(1);
    expect(slow.kind).toBe("quiet-region");
    expect(slow.skipped).toMatch(/too few to tell silence from chance/);
    expect(slow.description).toMatch(/^skipped: /);
    const fast = planAt(10);
    expect(fast.skipped).toBeNull();
    expect(fast.description).toMatch(/goes quiet \(no sales\) for 5 min/);
  });
});

describe("npm start at speed 1: an ordinary day", () => {
  it("raises no alert in 24 hours of the demo's normal traffic (staged incidents off)", () => {
    const replay = replayDemo({
      speed: 1,
      liveStart: Date.parse("2027-03-10T00:00:00Z"),
      minutes: 1440,
      incidents: false,
    });
    expect(replay.sales).toBeGreaterThan(500);
    expect(replay.transitions.map((t) => `${t.kind} ${t.rule} ${t.slice}: ${t.evaluation.summary}`)).toEqual(
      [],
    );
  }, 300_000);
});
