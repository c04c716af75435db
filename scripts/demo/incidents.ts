/**
 * Staged incidents of the live demo, for alert rules to catch: every `everyMinutes` (5 by
 * default) one of three, in turn —
 *
 *   - price glitch: a category sells at a tenth of its price for 3 minutes (a bad price upload)
 *     and bargain hunters pile in: five times the orders, every extra one for that category, so
 *     revenue per order dips and the margin turns negative;
 *   - quiet region: the region with the most orders at that time posts no sales for 5 minutes (a
 *     store system down);
 *   - surge: a region's consumer orders run at 5× for 3 minutes (a flash sale going viral).
 *
 * Sized to be caught: silence is only news where orders are expected, so the quiet region is the
 * busiest one (a small region at its night has minutes without orders anyway).
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
const LENGTH_MINUTES: Record<IncidentKind, number> = { "quiet-region": 5, "price-glitch": 3, surge: 3 };
const FIRST_AFTER_MS = 60_000;
export const GLITCH_PRICE_FACTOR = 0.1;
/** Extra orders during a price glitch, per normal order (all for the glitched category). */
export const GLITCH_RUSH = 4;
export const SURGE_FACTOR = 5;

export interface Incident {
  index: number;
  kind: IncidentKind;
  start: number;
  end: number;
  region: Region;
  category: Category;
  description: string;
}

export class IncidentPlan {
  private readonly seed: number;
  private liveStart: number;
  private readonly everyMs: number;
  private ordersAt: ((region: Region, at: number) => number) | null = null;
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

  /** The business's expected orders per region (the stream's rhythm), for picking the busiest. */
  useOrderRates(ordersAt: (region: Region, at: number) => number): void {
    this.ordersAt = ordersAt;
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
    const description =
      kind === "quiet-region"
        ? `${region} goes quiet (no sales) for ${minutes} min`
        : kind === "price-glitch"
          ? `${category} sells at a tenth of its price for ${minutes} min (bargain hunters: five times the orders)`
          : `${region} consumer orders surge ×${SURGE_FACTOR} for ${minutes} min`;
    const incident = { index, kind, start, end: start + minutes * 60_000, region, category, description };
    this.memo.set(index, incident);
    return incident;
  }

  /** The incident running at `at`, if any. */
  at(at: number): Incident | null {
    if (at < this.liveStart + FIRST_AFTER_MS) return null;
    const candidate = this.incident(Math.floor((at - this.liveStart - FIRST_AFTER_MS) / this.everyMs));
    return at < candidate.end ? candidate : null;
  }

  /** How an incident at `at` changes the expected orders of `region` and `channel`. */
  rateFactor(region: Region, channel: Channel, at: number): number {
    const incident = this.at(at);
    if (!incident || incident.region !== region) return 1;
    if (incident.kind === "quiet-region") return 0;
    return incident.kind === "surge" && channel === "consumer" ? SURGE_FACTOR : 1;
  }

  /** Extra orders per normal order at `at`, and the category they buy (a glitch's bargain hunters). */
  rush(at: number): { factor: number; category: Category } | null {
    const incident = this.at(at);
    return incident?.kind === "price-glitch" ? { factor: GLITCH_RUSH, category: incident.category } : null;
  }

  /** The unit price a sale of `category` at `at` is posted with. */
  price(category: Category, unitPrice: number, at: number): number {
    const incident = this.at(at);
    if (incident?.kind !== "price-glitch" || incident.category !== category) return unitPrice;
    return Math.max(0.01, Math.round(unitPrice * GLITCH_PRICE_FACTOR * 100) / 100);
  }
}
