/**
 * Small numeric helpers shared by the detectors (pure): order statistics, the normal tail, and a
 * fixed-size ring of recent values.
 */

/** Median of a non-empty list (the list is not modified). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median absolute deviation around `center`, scaled by 1.4826 so it estimates σ for normal data. */
export function mad(values: readonly number[], center: number): number {
  return 1.4826 * median(values.map((v) => Math.abs(v - center)));
}

/** Mean and population standard deviation. */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let sq = 0;
  for (const v of values) sq += (v - mean) ** 2;
  return { mean, std: Math.sqrt(sq / values.length) };
}

/**
 * Complementary error function (Numerical Recipes' erfc, fractional error < 1.2e-7): enough for
 * turning z-scores into tail probabilities.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + z / 2);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886187 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** P(|Z| > z) for a standard normal Z. */
export function twoSidedTail(z: number): number {
  return erfc(Math.abs(z) / Math.SQRT2);
}

/** P(Z > z) for a standard normal Z. */
export function upperTail(z: number): number {
  return erfc(z / Math.SQRT2) / 2;
}

/** The last `capacity` values pushed, oldest first. */
export class Ring {
  private readonly buf: number[] = [];
  private start = 0;
  readonly capacity: number;
  constructor(capacity: number) {
    this.capacity = capacity;
  }

  push(value: number): void {
    if (this.buf.length < this.capacity) this.buf.push(value);
    else {
      this.buf[this.start] = value;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  get size(): number {
    return this.buf.length;
  }

  values(): number[] {
    return [...this.buf.slice(this.start), ...this.buf.slice(0, this.start)];
  }

  /** The newest `n` values, oldest first. */
  last(n: number): number[] {
    const all = this.values();
    return all.slice(Math.max(0, all.length - n));
  }
}

/**
 * A deviation in spread units as a score in [0, 1): |z| / (|z| + 3), so |z| = 3 scores 0.5. Strictly
 * increasing and never saturating, so any threshold on the score is a threshold on |z|.
 */
export function scoreOfZ(z: number): number {
  const a = Math.abs(z);
  return Number.isFinite(a) ? a / (a + 3) : 1;
}

/** The z whose upper normal tail is `p` (bisection on `upperTail`; p in (0, 1)). */
export function zOfUpperTail(p: number): number {
  if (!(p > 0)) return 40;
  if (p >= 1) return -40;
  let lo = -40;
  let hi = 40;
  for (let i = 0; i < 80; i++) {
    const mid = (lo + hi) / 2;
    if (upperTail(mid) > p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * How surprising `k` events are when `lambda` were expected, as a signed z: the Poisson tail
 * P(X ≤ k) below the expectation, P(X ≥ k) above it, turned into the normal deviation with the same
 * tail. Few events are far from normal — no orders where 10 were expected is about 3.9σ, not the
 * 3.2σ a normal approximation says — so silence in a small slice is judged on its real odds.
 */
export function poissonZ(k: number, lambda: number): number {
  if (!(lambda > 0)) return k > 0 ? 40 : 0;
  const below = k < lambda;
  const n = below ? Math.floor(k) : Math.ceil(k);
  // log P(X = i) summed in log space from the mode outwards is overkill at these sizes: a running
  // term from i = 0 is exact enough for lambda up to a few hundred.
  let term = Math.exp(-lambda);
  let cdf = 0;
  for (let i = 0; i <= (below ? n : n - 1); i++) {
    if (i > 0) term *= lambda / i;
    cdf += term;
  }
  const tail = below ? cdf : Math.max(0, 1 - cdf);
  const z = zOfUpperTail(Math.max(tail, 1e-300));
  return below ? -Math.max(0, z) : Math.max(0, z);
}

/**
 * How surprising `k` events are when `mean` were expected and the expected rate itself is only
 * known to a relative variance `relVar` (the week-to-week spread of the baseline): the
 * negative-binomial (Gamma-Poisson) tail, P(X ≤ k) below the mean, P(X ≥ k) above it, as the normal
 * deviation with the same tail. Exact for small counts; with `relVar` 0 it is `poissonZ`.
 */
export function countZ(k: number, mean: number, relVar: number): number {
  if (!(relVar > 1e-9) || !(mean > 0)) return poissonZ(k, mean);
  const r = 1 / relVar;
  const below = k < mean;
  const n = below ? Math.floor(k) : Math.ceil(k);
  let term = Math.exp(r * Math.log(r / (r + mean)));
  let cdf = 0;
  const q = mean / (r + mean);
  for (let i = 0; i <= (below ? n : n - 1); i++) {
    if (i > 0) term *= ((r + i - 1) / i) * q;
    cdf += term;
  }
  const tail = below ? cdf : Math.max(0, 1 - cdf);
  const z = zOfUpperTail(Math.max(tail, 1e-300));
  return below ? -Math.max(0, z) : Math.max(0, z);
}
