/** Cron expressions for local runs (wrangler dev does not fire cron triggers on its own). */

/** Whether a 5-field cron expression (`*`, `n`, `a-b`, `x/step`, lists) matches `at` (UTC). */
export function cronMatches(expression: string, at: Date): boolean {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) return false;
  const values = [
    at.getUTCMinutes(),
    at.getUTCHours(),
    at.getUTCDate(),
    at.getUTCMonth() + 1,
    at.getUTCDay(),
  ];
  const ranges: [number, number][] = [
    [0, 59],
    [0, 23],
    [1, 31],
    [1, 12],
    [0, 7],
  ];
  return fields.every((field, i) => {
    const value = values[i] ?? -1;
    const [min, max] = ranges[i] ?? [0, 0];
    return field.split(",").some((part) => {
      const [range = "*", stepText] = part.split("/");
      const step = stepText ? Number(stepText) : 1;
      let [from, to] = [min, max];
      if (range !== "*") {
        const [a, b] = range.split("-").map(Number);
        from = a ?? min;
        to = b ?? (stepText ? max : from);
      }
      const matches = (v: number) => v >= from && v <= to && (v - from) % step === 0;
      // Day of week: 7 is Sunday too.
      return matches(value) || (i === 4 && value === 0 && matches(7));
    });
  });
}
