import { afterEach, describe, expect, it, vi } from "vitest";

/** A fresh copy of the module (its state is the page's: one first screen per load). */
async function fresh() {
  vi.resetModules();
  return import("./first-screen.ts");
}

const settled = async (p: Promise<void>) => {
  let done = false;
  void p.then(() => {
    done = true;
  });
  await vi.advanceTimersByTimeAsync(0);
  return done;
};

afterEach(() => {
  vi.useRealTimers();
});

describe("afterFirstScreen", () => {
  it("holds requests until the first screen is shown, then lets every later one through at once", async () => {
    vi.useFakeTimers();
    const { afterFirstScreen, firstScreenShown, FIRST_SCREEN_WAIT_MS } = await fresh();
    const waiting = afterFirstScreen();
    await vi.advanceTimersByTimeAsync(FIRST_SCREEN_WAIT_MS / 2);
    expect(await settled(waiting)).toBe(false);
    firstScreenShown();
    expect(await settled(waiting)).toBe(true);
    expect(await settled(afterFirstScreen())).toBe(true);
  });

  it("lets them through after the longest wait when the first screen never comes", async () => {
    vi.useFakeTimers();
    const { afterFirstScreen, FIRST_SCREEN_WAIT_MS } = await fresh();
    const waiting = afterFirstScreen();
    await vi.advanceTimersByTimeAsync(FIRST_SCREEN_WAIT_MS - 1);
    expect(await settled(waiting)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(waiting)).toBe(true);
  });
});

describe("takeFirstAnswer", () => {
  const answer = { columns: [], data: [], meta: {}, as_of: "", freshness: {} } as never;

  it("gives each answer asked for before the first render once, to the first who asks", async () => {
    const { expectFirstAnswers, takeFirstAnswer } = await fresh();
    const totals = Promise.resolve(answer);
    expectFirstAnswers(new Map([["/api/v1/query?grain=range", totals]]));
    expect(takeFirstAnswer("/api/v1/query?grain=day")).toBeUndefined();
    expect(takeFirstAnswer("/api/v1/query?grain=range")).toBe(totals);
    // A refresh or a second component asks the API itself.
    expect(takeFirstAnswer("/api/v1/query?grain=range")).toBeUndefined();
  });

  it("drops what nobody took once the first screen is shown (a later view asks for itself)", async () => {
    const { expectFirstAnswers, firstScreenShown, takeFirstAnswer } = await fresh();
    expectFirstAnswers(new Map([["/api/v1/kpis/daily", Promise.resolve(answer)]]));
    firstScreenShown();
    expect(takeFirstAnswer("/api/v1/kpis/daily")).toBeUndefined();
  });
});
