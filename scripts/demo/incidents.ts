/**
 * Staged incidents of the live demo, for alert rules to catch: every `everyMinutes` (5 by
 * default) one of three, in turn —
 *
 *   - price glitch: a category sells at a tenth of its price for 2 minutes (a bad price upload,
 *     fixed quickly) and bargain hunters pile in from the deal sites, every one of them for that
 *     category, so revenue per order dips and the margin turns negative;
 *   - quiet region: the region with the most orders at that time posts no sales for 5 minutes (a
 *     store system down);
 *   - surge: a flash sale goes viral in one region, consumer orders pouring in for 3 minutes.
 *
 * Sized to be real business events at any speed, rather than multiples of the hour's rate that
 * vanish at night or at speed 1: the bargain hunters and the flash sale's buyers come at a rate
 * set by the size of the business (orders a day), not by how busy this minute happens to be, so
 * even at `PULSE_DEMO_SPEED=1` (an order every two minutes) their orders stand out. Silence is only
 * news where orders are expected: the quiet region is the busiest one, and where even it would
 * expect too few orders in 5 minutes to tell silence from chance (speed 1, or night) the incident
 * is skipped, and the terminal says so.
 *
 * The schedule is deterministic: incident k starts `1 + k × everyMinutes` minutes after the live
 * demo started (`startAt`: once the history is in), its category or surging region drawn from the
 * seed and k. `PULSE_DEMO_INCIDENTS=off` turns them off; the history never has them (it has its
 * own staged days, see rhythm.ts).
 */
import { CATEGORY_NAMES, type Category, REGION_CODES, type Region } from "./catalog.ts";
import { mix, pick, prng } from "./random.ts";
import type { Channel } from "./rhythm.ts";

export type IncidentKind = "quiet-region" | "price-glitch" | "surge";
const KINDS: readonly IncidentKind[] = ["price-glitch", "quiet-region", "surge"];
const LENGTH_MINUTES: Record<IncidentKind, number> = { "quiet-region": 5, "price-glitch": 2, surge: 3 };
const FIRST_AFTER_MS = 60_000;
export const GLITCH_PRICE_FACTOR = 0.1;
/**
 * The bargain hunters of a price glitch, in the business's average orders a minute (orders a day /
 * 1440): twenty times that, all for the glitched category, whatever the hour.
 */
export const GLITCH_RUSH = 20;
/** A viral flash sale's extra consumer orders in its region, in the business's average orders a minute. */
export const SURGE_RUSH = 12;
/**
 * Orders the quiet region must expect in its silent minutes for the silence to be told from chance
 * (none where 10 were expected has odds of 1 in 22,000; where 2 were expected, 1 in 7).
 */
export const QUIET_MIN_EXPECTED = 10;

export interface Incident {
  index: number;
  kind: IncidentKind;
  start: number;
  end: number;
  region: Region;
  category: Category;
  description: string;
  /** Why it is not staged after all (a quiet region where too few orders are expected), or null. */
  skipped: string | null;
  /** Extra orders a minute (a glitch's bargain hunters, a surge's buyers). */
  rushPerMinute: number;
}

export class IncidentPlan {
  private readonly seed: number;
  private liveStart: number;
  private readonly everyMs: number;
  private ordersAt: ((region: Region, at: number) => number) | null = null;
  private ordersPerDay: ((at: number) => number) | null = null;
  private readonly memo = new Map<number, Incident>();

  constructor(options: { seed: number; liveStart: number; everyMinutes: number }) {
    if (!(options.everyMinutes >= 1)) throw new Error("incidents need at least 1 minute between them");
    this.seed = options.seed;
    this.liveStart = options.liveStart;
    this.everyMs = options.everyMinutes * 60_000;
  }

  /** Moves the schedule to start at `at` (when the live demo begins, after the history). */
  startAt(at: number): void {
    this.liveStart = at;
    this.memo.clear();
  }

  /**
   * The business's expected orders a minute per region (the stream's rhythm), for picking the
   * busiest, and its orders a day, for sizing the rushes.
   */
  useOrderRates(
    ordersAt: (region: Region, at: number) => number,
    ordersPerDay?: (at: number) => number,
  ): void {
    this.ordersAt = ordersAt;
    this.ordersPerDay = ordersPerDay ?? null;
    this.memo.clear();
  }

  incident(index: number): Incident {
    const known = this.memo.get(index);
    if (known) return known;
    const kind = KINDS[index % KINDS.length]!;
    const random = prng(mix(this.seed, 0x1ac1d, index));
    const start = this.liveStart + FIRST_AFTER_MS + index * this.everyMs;
    const drawn = pick(REGION_CODES, random);
    const category = pick(CATEGORY_NAMES, random);
    const rates = this.ordersAt;
    const region =
      kind === "quiet-region" && rates
        ? REGION_CODES.reduce((best, r) => (rates(r, start) > rates(best, start) ? r : best))
        : drawn;
    const minutes = Math.min(LENGTH_MINUTES[kind], this.everyMs / 60_000);
    const end = start + minutes * 60_000;
    const perMinute = (this.ordersPerDay?.(start) ?? 750) / 1440;
    const rushPerMinute =
      kind === "price-glitch" ? GLITCH_RUSH * perMinute : kind === "surge" ? SURGE_RUSH * perMinute : 0;
    let quietExpected = Number.POSITIVE_INFINITY;
    if (kind === "quiet-region" && rates) {
      quietExpected = 0;
      for (let t = start; t < end; t += 60_000) quietExpected += rates(region, t);
    }
    const skipped =
      quietExpected < QUIET_MIN_EXPECTED
        ? `${region}, the busiest region now, expects only ${quietExpected.toFixed(1)} orders in ${minutes} min: ` +
          "too few to tell silence from chance, so no quiet region this time (PULSE_DEMO_SPEED=10 stages one)"
        : null;
    const rush = Math.round(rushPerMinute * 10) / 10;
    const description = skipped
      ? `skipped: ${skipped}`
      : kind === "quiet-region"
        ? `${region} goes quiet (no sales) for ${minutes} min`
        : kind === "price-glitch"
          ? `${category} sells at a tenth of its price for ${minutes} min (bargain hunters: ~${rush} extra orders a minute)`
          : `a flash sale goes viral in ${region}: ~${rush} extra consumer orders a minute for ${minutes} min`;
    const incident = { index, kind, start, end, region, category, description, skipped, rushPerMinute };
    this.memo.set(index, incident);
    return incident;
  }

  /** The incident running at `at`, if any. */
  at(at: number): Incident | null {
    if (at < this.liveStart + FIRST_AFTER_MS) return null;
    const candidate = this.incident(Math.floor((at - this.liveStart - FIRST_AFTER_MS) / this.everyMs));
    return at < candidate.end ? candidate : null;
  }

  /** How an incident at `at` changes the expected orders of `region` (a quiet region posts none). */
  rateFactor(region: Region, _channel: Channel, at: number): number {
    const incident = this.at(at);
    return incident?.kind === "quiet-region" && !incident.skipped && incident.region === region ? 0 : 1;
  }

  /**
   * Extra orders a minute at `at` in `region`, and what they buy: a glitch's bargain hunters (in
   * every region by its share, all for the glitched category) or a surge's buyers (its region only).
   */
  rush(at: number, region: Region, share: number): { perMinute: number; category: Category | null } | null {
    const incident = this.at(at);
    if (incident?.kind === "price-glitch") {
      return { perMinute: incident.rushPerMinute * share, category: incident.category };
    }
    if (incident?.kind === "surge" && incident.region === region) {
      return { perMinute: incident.rushPerMinute, category: null };
    }
    return null;
  }

  /** The unit price a sale of `category` at `at` is posted with. */
  price(category: Category, unitPrice: number, at: number): number {
    const incident = this.at(at);
    if (incident?.kind !== "price-glitch" || incident.category !== category) return unitPrice;
    return Math.max(0.01, Math.round(unitPrice * GLITCH_PRICE_FACTOR * 100) / 100);
  }
}
