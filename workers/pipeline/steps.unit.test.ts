import { describe, expect, it } from "vitest";
import { repeatBounded, runSteps } from "./steps.ts";

describe("scheduled steps", () => {
  it("runs every step when one fails, then fails the run naming it", async () => {
    const ran: string[] = [];
    const step = (name: string, fail = false) =>
      [
        name,
        async () => {
          ran.push(name);
          if (fail) throw new Error(`${name} broke`);
        },
      ] as const;
    await expect(runSteps([step("a"), step("b", true), step("c")])).rejects.toThrow(/b \(the others ran\)/);
    expect(ran).toEqual(["a", "b", "c"]);
    await expect(runSteps([step("d")])).resolves.toEqual({ failed: [] });
  });

  it("stops a loop whose work never dries up", async () => {
    let rounds = 0;
    const total = await repeatBounded(
      async () => {
        rounds++;
        return 500;
      },
      { maxRounds: 7 },
    );
    expect(rounds).toBe(7);
    expect(total).toBe(3_500);
    let left = 3;
    expect(await repeatBounded(async () => (left-- > 0 ? 1 : 0))).toBe(3);
  });
});
