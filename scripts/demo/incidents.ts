/**
 * Staged incidents of the live demo, for alert rules to catch: every `everyMinutes` (5 by
 * default) one of three, in turn —
 *
 *   - quiet region: a region posts no sales for 4 minutes (a store system down);
 *   - price glitch: a category sells at a tenth of its price for 3 minutes (a bad price upload),
 *     so revenue dips and the margin turns negative;
 *   - surge: a region's consumer orders run at 5× for 3 minutes (a flash sale going viral).
 *
 * The schedule is deterministic: incident k starts `2 + k × everyMinutes` minutes after the live
 * demo started, its region or category drawn from the seed and k. `PULSE_DEMO_INCIDENTS=off`
 * turns them off; the history never has them (it has its own staged days, see rhythm.ts).
 */
import { CATEGORY_NAMES, type Category, REGION_CODES, type Region } from "./catalog.ts";
import { mix, pick, prng } from "./random.ts";
import type { Channel } from "./rhythm.ts";

export type IncidentKind = "quiet-region" | "price-glitch" | "surge";
const KINDS: readonly IncidentKind[] = ["quiet-region", "price-glitch", "surge"];
const LENGTH_MINUTES: Record<IncidentKind, number> = { "quiet-region": 4, "price-glitch": 3, surge: 3 };
const FIRST_AFTER_MS = 2 * 60_000;
export const GLITCH_PRICE_FACTOR = 0.1;
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
  private readonly liveStart: number;
  private readonly everyMs: number;

  constructor(options: { seed: number; liveStart: number; everyMinutes: number }) {
    if (!(options.everyMinutes >= 1)) throw new Error("incidents need at least 1 minute between them");
    this.seed = options.seed;
    this.liveStart = options.liveStart;
    this.everyMs = options.everyMinutes * 60_000;
  }

  incident(index: number): Incident {
    const kind = KINDS[index % KINDS.length]!;
    const random = prng(mix(this.seed, 0x1ac1d, index));
    const region = pick(REGION_CODES, random);
    const category = pick(CATEGORY_NAMES, random);
    const start = this.liveStart + FIRST_AFTER_MS + index * this.everyMs;
    const minutes = Math.min(LENGTH_MINUTES[kind], this.everyMs / 60_000);
    const description =
      kind === "quiet-region"
        ? `${region} goes quiet (no sales) for ${minutes} min`
        : kind === "price-glitch"
          ? `${category} sells at a tenth of its price for ${minutes} min`
          : `${region} consumer orders surge ×${SURGE_FACTOR} for ${minutes} min`;
    return { index, kind, start, end: start + minutes * 60_000, region, category, description };
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

  /** The unit price a sale of `category` at `at` is posted with. */
  price(category: Category, unitPrice: number, at: number): number {
    const incident = this.at(at);
    if (incident?.kind !== "price-glitch" || incident.category !== category) return unitPrice;
    return Math.max(0.01, Math.round(unitPrice * GLITCH_PRICE_FACTOR * 100) / 100);
  }
}
