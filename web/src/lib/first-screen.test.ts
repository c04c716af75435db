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
