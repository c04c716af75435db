import { describe, expect, it } from "vitest";
import { resolveLatest, supersedes, type Version } from "./resolve.ts";

const at = (minute: number) => new Date(Date.UTC(2026, 10, 25, 10, minute)).toISOString();
const held = (minute: number, position: string | null = null, isDeleted = false): Version => ({
  lastEventAt: at(minute),
  lastPosition: position,
  isDeleted,
});

describe("supersedes", () => {
  it.each([
    ["a later source time wins", at(2), null, held(1), true],
    ["an earlier source time loses, even arriving later", at(0), null, held(1), false],
    ["an earlier time loses to a tombstone", at(0), null, held(1, null, true), false],
    [
      "a tie goes to the higher source position",
      at(1),
      "00000000000000000200",
      held(1, "00000000000000000100"),
      true,
    ],
    [
      "a tie with a lower source position loses",
      at(1),
      "00000000000000000050",
      held(1, "00000000000000000100"),
      false,
    ],
    ["a tie without positions goes to the later-received event", at(1), null, held(1), true],
  ] as const)("%s", (_name, time, position, current, expected) => {
    expect(supersedes(time, position, current)).toBe(expected);
  });
});

describe("resolveLatest", () => {
  type S = Version & { value: number };
  const event = (key: string, minute: number, value: number, position: string | null = null) => ({
    key,
    eventTime: at(minute),
    position,
    value,
  });
  const build = (e: ReturnType<typeof event>): S => ({
    lastEventAt: e.eventTime,
    lastPosition: e.position,
    isDeleted: false,
    value: e.value,
  });

  it("keeps the latest state per key whatever the arrival order", () => {
    const events = [event("a", 3, 30), event("a", 1, 10), event("b", 1, 1), event("a", 2, 20)];
    const result = resolveLatest(new Map<string, S>(), events, build);
    expect(result.get("a")?.value).toBe(30);
    expect(result.get("b")?.value).toBe(1);
  });

  it("returns only keys whose state changed", () => {
    const existing = new Map<string, S>([["a", { ...held(5), value: 50 }]]);
    const result = resolveLatest(existing, [event("a", 4, 40), event("b", 1, 1)], build);
    expect([...result.keys()]).toEqual(["b"]);
  });
});
