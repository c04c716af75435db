/**
 * The count noise behind the seasonal judgement: Poisson odds for few events, and the index of
 * dispersion that keeps a few large orders from looking like an anomaly.
 */
import { describe, expect, it } from "vitest";
import { poissonZ, upperTail, zOfUpperTail } from "./detect/stats.ts";
import { minuteDispersion } from "./judge/noise.ts";
import type { Measures, SliceHistory } from "./series.ts";

const MINUTE = 60_000;

function history(values: number[], money?: (i: number) => number): SliceHistory {
  const minutes = new Map<number, Measures>();
  values.forEach((orders, i) => {
    const revenue = money ? money(i) : orders * 10;
    minutes.set(i * MINUTE, { orders, quantity: orders, revenue, netRevenue: revenue, costs: 0 });
  });
  return { hours: new Map(), hoursFrom: 0, minutes, minutesFrom: 0, days: new Map() };
}

describe("Poisson odds as a z", () => {
  it("inverts the normal tail", () => {
    for (const z of [-2, 0, 1, 3.5, 6]) expect(zOfUpperTail(upperTail(z))).toBeCloseTo(z, 4);
  });

  it("makes silence where 10 orders were expected a ~3.9σ drop, stronger than the normal approximation", () => {
    const z = poissonZ(0, 10);
    expect(z).toBeLessThan(-3.8);
    expect(z).toBeGreaterThan(-4.1);
    expect(z).toBeLessThan(-10 / Math.sqrt(10));
  });

  it("finds nothing unusual in the expected count, and a surge far above it", () => {
    expect(Math.abs(poissonZ(10, 10))).toBeLessThan(0.5);
    expect(poissonZ(30, 10)).toBeGreaterThan(4);
    expect(poissonZ(3, 0)).toBe(40);
  });
});

describe("minute dispersion", () => {
  it("is about 1 for Poisson orders, whatever the slow rhythm", () => {
    // A slow daily swing from 1 to 9 orders a minute, Poisson around it (a fixed pseudo-random draw).
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const poisson = (lambda: number) => {
      let k = 0;
      for (let p = Math.exp(-lambda), s = p, u = random(); u > s; k++) {
        p *= lambda / (k + 1);
        s += p;
      }
      return k;
    };
    const values = Array.from({ length: 1440 }, (_, i) =>
      poisson(5 + 4 * Math.sin((2 * Math.PI * i) / 1440)),
    );
    const d = minuteDispersion(history(values), "orders", 1440 * MINUTE);
    expect(d).toBeGreaterThan(0.8);
    expect(d).toBeLessThan(1.25);
  });

  it("is far above the average order for money with a few large orders", () => {
    // One order a minute; every 50th is a 5,000 deal among 100s.
    const values = Array.from({ length: 1440 }, () => 1);
    const d = minuteDispersion(
      history(values, (i) => (i % 50 === 0 ? 5_000 : 100)),
      "revenue",
      1440 * MINUTE,
    );
    const average = (5_000 + 49 * 100) / 50;
    expect(d).toBeGreaterThan(5 * average);
  });

  it("says nothing (0) with less than an hour of minutes or no orders", () => {
    expect(minuteDispersion(history([1, 2, 3]), "orders", 3 * MINUTE)).toBe(0);
    expect(minuteDispersion(history(Array(120).fill(0)), "orders", 120 * MINUTE)).toBe(0);
  });
});
