/**
 * How many orders the demo company takes, minute by minute: a level that grows ~5 % a month,
 * split by region (each in its own time zone, so APAC's working day is NA's night) and by channel
 * — businesses order in office hours on weekdays (and push at month end), consumers in the
 * evening and at weekends — with day-to-day noise, the retail calendar (Black Friday, Cyber
 * Monday, the holidays) and two staged events in the history (an outage day, a promotion day).
 */
import { REGIONS, type Region } from "./catalog.ts";
import { mix, normal, prng } from "./random.ts";

export type Channel = "business" | "consumer";
export const CHANNELS: readonly Channel[] = ["business", "consumer"];
const CHANNEL_SHARE: Record<Channel, number> = { business: 0.45, consumer: 0.55 };

/** Orders a day at speed 1, reached when the 90-day history ends; growth before and after. */
export const ORDERS_PER_DAY = 750;
const MONTHLY_GROWTH = 0.05;
export const HISTORY_DAYS = 90;
const DAY_MS = 86_400_000;
const DAY_NOISE = 0.12;

const bell = (hour: number, centre: number, width: number) => Math.exp(-(((hour - centre) / width) ** 2));

/** Relative activity by local hour (0–24, fractional) and local weekday (0 = Sunday). */
const SHAPE: Record<Channel, { hour: (h: number) => number; weekday: number[] }> = {
  business: {
    hour: (h) => 0.02 + bell(h, 10.5, 2.2) + 0.85 * bell(h, 15, 2.2),
    weekday: [0.3, 1.0, 1.05, 1.05, 1.0, 0.9, 0.35],
  },
  consumer: {
    hour: (h) => 0.08 + 0.45 * bell(h, 12.5, 2.5) + bell(h, 20.5, 2.5),
    weekday: [1.15, 0.9, 0.9, 0.92, 0.95, 1.0, 1.25],
  },
};

/** Mean of each channel's shape over a week, so the shape moves orders around without adding any. */
const WEEK_MEAN: Record<Channel, number> = Object.fromEntries(
  CHANNELS.map((channel) => {
    let sum = 0;
    let n = 0;
    for (let minute = 0; minute < 7 * 1440; minute += 10) {
      const day = Math.floor(minute / 1440);
      sum += SHAPE[channel].hour((minute % 1440) / 60) * (SHAPE[channel].weekday[day] ?? 1);
      n++;
    }
    return [channel, sum / n];
  }),
) as Record<Channel, number>;

export interface RhythmOptions {
  seed: number;
  /** First instant of the history: growth and the staged events are placed relative to it. */
  epoch: number;
  /** Multiplies every rate (PULSE_DEMO_SPEED): the same business, more of it. */
  speed: number;
}

/** Black Friday (the day after the fourth Thursday of November) and friends, by local date. */
function calendarFactor(channel: Channel, date: Date): number {
  const month = date.getUTCMonth();
  const day = date.getUTCDate();
  if (month === 10) {
    const firstThursday = 1 + ((4 - new Date(Date.UTC(date.getUTCFullYear(), 10, 1)).getUTCDay() + 7) % 7);
    const blackFriday = firstThursday + 22;
    if (day === blackFriday) return channel === "consumer" ? 2.6 : 1.1;
    if (day === blackFriday + 3) return channel === "consumer" ? 2.0 : 1.2;
  }
  if (month === 11 && day === 31) return 0.5;
  if (month === 11 && day >= 24) return channel === "consumer" ? (day === 25 ? 0.35 : 0.7) : 0.25;
  if (month === 0 && day === 1) return 0.35;
  // Month-end push: businesses close their budgets in the last three days of a month.
  const daysInMonth = new Date(Date.UTC(date.getUTCFullYear(), month + 1, 0)).getUTCDate();
  return channel === "business" && day > daysInMonth - 3 ? 1.25 : 1;
}

/** Staged events of the history, so anomaly detection has real stories to find. */
function stagedFactor(region: Region, channel: Channel, localDay: number, epochDay: number): number {
  // A payment-provider outage takes most of EMEA's orders one day.
  if (region === "EMEA" && localDay === epochDay + 34) return 0.2;
  // A quarter-end deal day: businesses everywhere order nearly three times as much.
  if (channel === "business" && localDay === epochDay + 58) return 2.8;
  return 1;
}

export class Rhythm {
  private readonly options: RhythmOptions;
  private readonly dayFactors = new Map<string, number>();
  private readonly regionIndex = new Map(Object.keys(REGIONS).map((r, i) => [r, i]));

  constructor(options: RhythmOptions) {
    this.options = options;
  }

  /** Orders a day at `at` before the weekly and daily shape (growth only), at this speed. */
  level(at: number): number {
    const months = (at - (this.options.epoch + HISTORY_DAYS * DAY_MS)) / (30 * DAY_MS);
    return this.options.speed * ORDERS_PER_DAY * (1 + MONTHLY_GROWTH) ** months;
  }

  /** Expected orders of `region` and `channel` in the minute starting at `minuteStart` (epoch ms). */
  expected(region: Region, channel: Channel, minuteStart: number): number {
    const spec = REGIONS[region];
    const local = minuteStart + spec.utcOffset * 3_600_000;
    const localDay = Math.floor(local / DAY_MS);
    const hour = (local - localDay * DAY_MS) / 3_600_000;
    const shape = SHAPE[channel];
    const weekday = (localDay + 4) % 7; // 1970-01-01 was a Thursday
    const relative = (shape.hour(hour) * (shape.weekday[weekday] ?? 1)) / WEEK_MEAN[channel];
    return (
      (this.level(minuteStart) / 1440) *
      spec.share *
      CHANNEL_SHARE[channel] *
      relative *
      this.dayFactor(region, channel, localDay)
    );
  }

  /** Noise, calendar and staged events of one local day (memoised: asked once per minute). */
  private dayFactor(region: Region, channel: Channel, localDay: number): number {
    const key = `${region}|${channel}|${localDay}`;
    const known = this.dayFactors.get(key);
    if (known !== undefined) return known;
    const random = prng(
      mix(this.options.seed, this.regionIndex.get(region) ?? 0, CHANNELS.indexOf(channel), localDay),
    );
    const noise = Math.exp(DAY_NOISE * normal(random) - DAY_NOISE ** 2 / 2);
    const epochDay = Math.floor(this.options.epoch / DAY_MS);
    const factor =
      noise *
      calendarFactor(channel, new Date(localDay * DAY_MS)) *
      stagedFactor(region, channel, localDay, epochDay);
    this.dayFactors.set(key, factor);
    return factor;
  }
}
