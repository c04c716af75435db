import { describe, expect, it } from "vitest";
import { demoCatalog, REGIONS } from "./catalog.ts";
import { GLITCH_PRICE_FACTOR, IncidentPlan } from "./incidents.ts";
import { DemoStream, type NativeEvent } from "./stream.ts";

const DAY = 86_400_000;
const EPOCH = Date.UTC(2026, 1, 2); // a Monday, away from the retail calendar's special days
const DAYS = 28;
const sales = (events: NativeEvent[]) =>
  events.filter((e) => e.entity === "sale" && e.event_type === "INSERT").map((e) => e.payload);

function window(speed = 1, seed = 7, days = DAYS): NativeEvent[] {
  return [...new DemoStream({ seed, epoch: EPOCH, speed }).until(EPOCH + days * DAY)];
}

describe("the demo company's stream", () => {
  const events = window();
  const sold = sales(events);

  it("is the same business for the same seed, and another for another seed", () => {
    expect(JSON.stringify(window(1, 7, 3))).toBe(JSON.stringify(window(1, 7, 3)));
    expect(sales(window(1, 8, 3))[0]?.sale_id).not.toBe(sales(window(1, 7, 3))[0]?.sale_id);
  });

  it("continues seamlessly: handing events out in pieces gives the same events as at once", () => {
    const stream = new DemoStream({ seed: 7, epoch: EPOCH, speed: 1 });
    const pieces: NativeEvent[] = [];
    for (let t = EPOCH + 3 * DAY - 7_777; t < EPOCH + DAYS * DAY; t += 3 * DAY + 12_345) {
      pieces.push(...stream.until(t));
    }
    pieces.push(...stream.until(EPOCH + DAYS * DAY));
    expect(pieces.length).toBe(events.length);
    expect(pieces.map((e) => e.event_timestamp)).toEqual(events.map((e) => e.event_timestamp));
  });

  it("takes the rhythm's orders a day, and PULSE_DEMO_SPEED scales history and live alike", () => {
    const stream = new DemoStream({ seed: 7, epoch: EPOCH, speed: 1 });
    let expected = 0;
    for (let t = EPOCH; t < EPOCH + DAYS * DAY; t += DAY) expected += stream.level(t + DAY / 2);
    // Day noise and the calendar move a month by a few percent at most.
    expect(sold.length / expected).toBeGreaterThan(0.9);
    expect(sold.length / expected).toBeLessThan(1.1);
    const faster = sales(window(3, 7, 7)).length / sales(window(1, 7, 7)).length;
    expect(faster).toBeGreaterThan(2.7);
    expect(faster).toBeLessThan(3.3);
  });

  it("has many customers, most buying once or twice and a few often", () => {
    const orders = new Map<unknown, number>();
    const perDay = new Map<string, Set<unknown>>();
    for (const s of sold) {
      orders.set(s.customer_id, (orders.get(s.customer_id) ?? 0) + 1);
      const day = String(s.sale_timestamp).slice(0, 10);
      perDay.set(day, (perDay.get(day) ?? new Set()).add(s.customer_id));
    }
    const counts = [...orders.values()];
    expect(orders.size).toBeGreaterThan(5_000);
    expect(counts.filter((n) => n <= 2).length / counts.length).toBeGreaterThan(0.6);
    expect(counts.filter((n) => n >= 10).length).toBeGreaterThan(10);
    const busiestDay = Math.max(...[...perDay.values()].map((c) => c.size));
    expect(orders.size).toBeGreaterThan(8 * busiestDay);
  });

  it("announces every customer before their first sale", () => {
    const known = new Set(
      new DemoStream({ seed: 7, epoch: EPOCH, speed: 1 }).catalogEvents().map((e) => e.payload.customer_id),
    );
    for (const e of events) {
      if (e.entity === "customer") known.add(e.payload.customer_id);
      else if (e.event_type === "INSERT") expect(known.has(e.payload.customer_id)).toBe(true);
    }
  });

  it("follows each region's own clock: APAC's busiest hours are NA's night", () => {
    const busiest = (region: string) => {
      const hours = Array<number>(24).fill(0);
      for (const s of sold.filter((x) => x.region === region))
        hours[new Date(String(s.sale_timestamp)).getUTCHours()]! += 1;
      return hours.indexOf(Math.max(...hours));
    };
    const localHour = (region: keyof typeof REGIONS) =>
      (busiest(region) + REGIONS[region].utcOffset + 24) % 24;
    expect(Math.abs(busiest("APAC") - busiest("NA"))).toBeGreaterThanOrEqual(6);
    // Wherever it is, the busiest hour is a waking one locally.
    for (const region of ["NA", "EMEA", "APAC", "LATAM"] as const) {
      expect(localHour(region)).toBeGreaterThanOrEqual(8);
      expect(localHour(region)).toBeLessThanOrEqual(22);
    }
  });

  it("sells each category within its price spread, with fewer sales at weekends", () => {
    const prices = new Map(demoCatalog().products.map((p) => [p.id, p.unitPrice]));
    for (const s of sold) expect(s.unit_price).toBe(prices.get(String(s.product_id)));
    const weekday = (d: number) => new Date(EPOCH + d * DAY).getUTCDay();
    const revenueOn = (days: number[]) =>
      sold
        .filter((s) => days.includes(Math.floor((Date.parse(String(s.sale_timestamp)) - EPOCH) / DAY)))
        .reduce((sum, s) => sum + Number(s.quantity) * Number(s.unit_price), 0);
    const all = Array.from({ length: DAYS }, (_, d) => d);
    const weekend = all.filter((d) => weekday(d) === 0 || weekday(d) === 6);
    const week = all.filter((d) => !weekend.includes(d));
    expect(revenueOn(week) / week.length).toBeGreaterThan(2 * (revenueOn(weekend) / weekend.length));
  });
});

describe("staged live incidents", () => {
  const liveStart = EPOCH + 9 * 3_600_000;
  const plan = new IncidentPlan({ seed: 7, liveStart, everyMinutes: 5 });
  const run = (incidents: IncidentPlan | null) => {
    const stream = new DemoStream({ seed: 7, epoch: EPOCH, speed: 20, incidents });
    for (const _ of stream.until(liveStart)) {
      // up to the live start
    }
    return sales([...stream.until(liveStart + 60 * 60_000)]);
  };
  const withIncidents = run(plan);

  it("follow a fixed schedule: price glitch, quiet region, surge, in turn", () => {
    expect([0, 1, 2, 3].map((k) => plan.incident(k).kind)).toEqual([
      "price-glitch",
      "quiet-region",
      "surge",
      "price-glitch",
    ]);
    expect(plan.incident(1).start - plan.incident(0).start).toBe(5 * 60_000);
    expect(plan.at(liveStart)).toBeNull();
  });

  it("silence the busiest region, and sell the glitched category at a tenth of its price to a rush", () => {
    const quiet = plan.incident(1);
    const during = (s: Record<string, unknown>, i: { start: number; end: number }) => {
      const t = Date.parse(String(s.sale_timestamp));
      return t >= i.start && t < i.end;
    };
    expect(withIncidents.filter((s) => during(s, quiet) && s.region === quiet.region)).toHaveLength(0);
    expect(run(null).filter((s) => during(s, quiet) && s.region === quiet.region).length).toBeGreaterThan(0);

    const glitch = plan.incident(0);
    const catalog = demoCatalog().products;
    const glitched = withIncidents.filter(
      (s) => during(s, glitch) && catalog.find((p) => p.id === s.product_id)?.category === glitch.category,
    );
    expect(glitched.length).toBeGreaterThan(0);
    // Bargain hunters: the glitched category sells several times as often as without the glitch.
    const normally = run(null).filter(
      (s) => during(s, glitch) && catalog.find((p) => p.id === s.product_id)?.category === glitch.category,
    );
    expect(glitched.length).toBeGreaterThan(3 * normally.length);
    for (const s of glitched) {
      const list = catalog.find((p) => p.id === s.product_id)!.unitPrice;
      expect(Number(s.unit_price)).toBeCloseTo(Math.max(0.01, list * GLITCH_PRICE_FACTOR), 1);
    }
  });
});
