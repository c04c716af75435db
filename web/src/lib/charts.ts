/**
 * uPlot option builders and the words that describe each chart. Colours follow the theme: canvas
 * can't read CSS `light-dark()` colours, so the palette is chosen in script from the same rule the
 * stylesheet uses (a stored choice on <html>, else the system preference), and every colour is a
 * function uPlot evaluates when it draws — a theme change is a redraw, never a rebuild.
 */
import type uPlot from "uplot";
import { formatValue, type ValueKind } from "./format.ts";

const LIGHT = {
  text: "#5a6472",
  grid: "#e2e6ec",
  accent: "#2b64d4",
  second: "#b15f00",
  danger: "#b42318",
  bg: "#ffffff",
};
const DARK = {
  text: "#98a2b0",
  grid: "#262d37",
  accent: "#79a6ff",
  second: "#f2b552",
  danger: "#ff8a80",
  bg: "#151a21",
};
export type Palette = typeof LIGHT;

export function isDark(): boolean {
  const chosen = document.documentElement.dataset.theme;
  if (chosen === "dark" || chosen === "light") return chosen === "dark";
  return window.matchMedia("(prefers-color-scheme: dark)").matches;
}

export function palette(): Palette {
  return isDark() ? DARK : LIGHT;
}

const colour = (key: keyof Palette) => () => palette()[key];

const compact = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });
const compactCurrency = new Intl.NumberFormat(undefined, {
  notation: "compact",
  style: "currency",
  currency: "USD",
  maximumFractionDigits: 1,
});
const dayTick = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
const minuteTick = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });

/** Epoch seconds of a reporting day's midnight (UTC, so the calendar day never shifts). */
export const daySeconds = (isoDay: string) => Date.parse(`${isoDay}T00:00:00Z`) / 1000;

export function tickValue(kind: ValueKind): (v: number) => string {
  if (kind === "currency") return (v) => compactCurrency.format(v);
  if (kind === "percent") return (v) => `${compact.format(v)} %`;
  return (v) => compact.format(v);
}

function axes(kind: ValueKind, x: "day" | "minute"): uPlot.Axis[] {
  const common = {
    stroke: colour("text"),
    grid: { stroke: colour("grid"), width: 1 },
    ticks: { stroke: colour("grid"), width: 1 },
  };
  const format =
    x === "day" ? (s: number) => dayTick.format(s * 1000) : (s: number) => minuteTick.format(s * 1000);
  const tick = tickValue(kind);
  return [
    {
      ...common,
      space: x === "day" ? 50 : 70,
      // Whole days (or minutes) only: a one-day series gets one tick, not hours labelled alike.
      incrs: x === "day" ? DAY_INCRS : MINUTE_INCRS,
      values: (_u, splits) => splits.map(format),
    },
    { ...common, size: 60, values: (_u, splits) => splits.map(tick) },
  ];
}

const DAY = 86_400;
const DAY_INCRS = [1, 2, 7, 14, 30, 61, 91, 182, 365, 730].map((d) => d * DAY);
const MINUTE_INCRS = [1, 2, 5, 10, 15, 30, 60, 120, 360, 720].map((m) => m * 60);

/**
 * The x range: the data's, widened by half a step on each side so the first and last bars are
 * whole and a single day (or minute) sits in the middle of a one-step axis. Read from the data,
 * not from uPlot's proposal: for a single point on a time scale uPlot proposes a thousand days.
 */
export function xRange(xs: readonly number[], step: number): [number, number] {
  const lo = xs[0] ?? Math.floor(Date.now() / 1000 / step) * step;
  const hi = xs[xs.length - 1] ?? lo;
  return [lo - step / 2, hi + step / 2];
}

/** Values a chart will visibly draw (null and zero draw nothing as a bar, a dot or a gap). */
export function drawnValues(values: readonly (number | null | undefined)[]): number {
  return values.filter((v) => v !== null && v !== undefined && v !== 0).length;
}

export interface SeriesSpec {
  label: string;
  kind: ValueKind;
  colour: keyof Palette;
  dash?: number[];
  /** Points only (anomaly markers), no line. */
  markers?: boolean;
  fill?: boolean;
  bars?: boolean;
}

/** `lib`: uPlot itself, loaded as its own chunk once a chart is about to be built. */
export function chartOptions(
  lib: typeof uPlot,
  width: number,
  height: number,
  x: "day" | "minute",
  series: SeriesSpec[],
  plugins: uPlot.Plugin[] = [],
): uPlot.Options {
  const [first] = series;
  return {
    width,
    height,
    plugins,
    // Daily points are calendar days: show them in UTC so no browser offset moves them a day.
    ...(x === "day" ? { tzDate: (ts: number) => lib.tzDate(new Date(ts * 1000), "UTC") } : {}),
    cursor: { drag: { x: false, y: false }, points: { size: 7 } },
    legend: { show: series.length > 1 },
    scales: {
      x: { time: true, range: (u) => xRange((u.data[0] ?? []) as number[], x === "day" ? DAY : 60) },
      y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.05 : 1] },
    },
    axes: axes(first?.kind ?? "count", x),
    series: [
      {
        label: x === "day" ? "Day" : "Minute",
        value: (_u, v) =>
          v === null ? "—" : x === "day" ? dayTick.format(v * 1000) : minuteTick.format(v * 1000),
      },
      ...series.map(
        (s): uPlot.Series => ({
          label: s.label,
          stroke: colour(s.colour),
          width: 2, // markers draw no line (paths: null); the width styles their legend swatch
          value: (_u, v) => (v === null ? "—" : formatValue(v, s.kind)),
          ...(s.dash ? { dash: s.dash } : {}),
          ...(s.fill ? { fill: () => `${palette()[s.colour]}22` } : {}),
          ...(s.bars
            ? { paths: lib.paths.bars?.({ size: [0.8, 40] }), fill: () => `${palette()[s.colour]}bb` }
            : {}),
          ...(s.markers
            ? {
                paths: () => null,
                points: { show: true, size: 10, fill: colour("danger"), stroke: colour("bg") },
              }
            : // One or two points make no line to speak of: show them as dots.
              {
                points: {
                  show: (u: uPlot) => (u.data[0]?.length ?? 0) <= 2,
                  size: 8,
                  fill: colour(s.colour),
                },
              }),
        }),
      ),
    ],
  };
}
