import { describe, expect, it } from "vitest";
import { bodyOf, emptyForm, formOf, previewColumns, problemsOf } from "./rule-form.ts";

describe("the rule editor's form", () => {
  it("round-trips a stored rule, keeping the settings it does not show", () => {
    const stored = {
      id: "region-orders-anomaly",
      version: 3,
      name: "A region's orders are unusual",
      metric: "orders",
      filters: {},
      per: "region",
      condition: { type: "anomaly", detector: "seasonal", sensitivity: "high" },
      channels: ["outbox"],
      for_updates: 2,
      resolve_after: 3,
      cooldown_s: 600,
      renotify_s: 0,
      min_volume: 10,
      quiet_hours: { from: "22:00", to: "07:00" },
      enabled: true,
    };
    const form = formOf(stored);
    expect(form.scope).toBe("each");
    expect(form.dim).toBe("region");
    const { id: _id, version: _version, ...definition } = stored;
    expect(bodyOf(form)).toEqual(definition);
  });

  it("builds each condition from its fields", () => {
    const base = { ...emptyForm(["outbox"]), id: "x", name: "X", scope: "one" as const, member: "EMEA" };
    expect(bodyOf({ ...base, type: "threshold", grain: "minute", op: ">", value: "100" })).toMatchObject({
      filters: { region: "EMEA" },
      per: null,
      condition: { type: "threshold", grain: "minute", op: ">", value: 100 },
      channels: ["outbox"],
    });
    expect(
      bodyOf({ ...base, type: "change", grain: "minute", vs: "previous_period", op: "<", pct: "-30" })
        .condition,
    ).toEqual({ type: "change", grain: "hour", vs: "previous_period", op: "<", pct: -30 });
    expect(bodyOf({ ...base, type: "no_data", minutes: "15" }).condition).toEqual({
      type: "no_data",
      minutes: 15,
    });
  });

  it("says what to fix before anything is sent", () => {
    const problems = problemsOf({
      ...emptyForm([]),
      id: "Bad Id",
      scope: "one",
      type: "threshold",
      value: "x",
    });
    expect(Object.keys(problems).sort()).toEqual(["id", "member", "name", "value"]);
    expect(problemsOf({ ...emptyForm([]), id: "ok", name: "Fine" })).toEqual({});
  });

  it("plots the replay: breaches only where the rule breached", () => {
    expect(
      previewColumns({
        t: [1, 2, 3],
        observed: [5, 9, null],
        expected: [5, 5, 5],
        breach: [false, true, false],
      }),
    ).toEqual([
      [1, 2, 3],
      [5, 9, null],
      [5, 5, 5],
      [null, 9, null],
    ]);
  });
});
