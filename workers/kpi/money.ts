/**
 * Money as integer cents inside the pipeline, so sums and differences are exact; Postgres stores
 * `numeric(…, 2)` and the API renders numbers with two decimals.
 */

/** Cents of a decimal amount given as a number or a numeric string ("19.99" → 1999). */
export function toCents(value: number | string): number {
  if (typeof value === "number") return Math.round(value * 100);
  const match = /^(-?)(\d+)(?:\.(\d{0,2})\d*)?$/.exec(value.trim());
  if (!match) throw new Error(`not a decimal amount: ${value}`);
  const [, sign, whole, fraction = ""] = match;
  const cents = Number(whole) * 100 + Number(fraction.padEnd(2, "0"));
  return sign === "-" ? -cents : cents;
}

/** 1999 → 19.99 */
export function fromCents(cents: number): number {
  return Math.round(cents) / 100;
}
