/**
 * The scheduled job's steps, each on its own: one that fails (or leaves its connection broken) is
 * logged and the others still run; the run then fails as a whole, naming the steps that failed.
 */
export type Step = readonly [name: string, run: () => Promise<unknown>];

export async function runSteps(steps: readonly Step[]): Promise<{ failed: string[] }> {
  const failed: string[] = [];
  for (const [name, run] of steps) {
    const started = Date.now();
    try {
      await run();
    } catch (error) {
      failed.push(name);
      console.error(
        JSON.stringify({
          msg: "scheduled step failed",
          step: name,
          ms: Date.now() - started,
          error: String(error),
        }),
      );
    }
  }
  if (failed.length > 0) {
    throw new Error(`scheduled steps failed: ${failed.join(", ")} (the others ran)`);
  }
  return { failed };
}

/**
 * Repeats `round` while it reports work done, at most `maxRounds` times and for `budgetMs`: a
 * source of work that never dries up cannot keep the job running forever. Returns the work done.
 */
export async function repeatBounded(
  round: () => Promise<number>,
  { maxRounds = 100, budgetMs = 60_000 }: { maxRounds?: number; budgetMs?: number } = {},
): Promise<number> {
  const started = Date.now();
  let total = 0;
  for (let i = 0; i < maxRounds && Date.now() - started < budgetMs; i++) {
    const done = await round();
    total += done;
    if (done === 0) break;
  }
  return total;
}
