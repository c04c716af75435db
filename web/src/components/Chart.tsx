/**
 * One uPlot chart in a <figure>: created once when it mounts, then fed with `setData` — a new
 * series never rebuilds it. It follows its container's width and the colour theme, describes
 * itself in words for screen readers (and under the title, for everyone), and downloads as a PNG.
 * Alert markers (where incidents started and ended) are lines over the plot, placed on each draw.
 *
 * The plot is built once the first screen's figures are on screen and painted, one chart per task
 * (`afterPaint`), and uPlot itself is a chunk of its own, fetched as the first chart mounts: the
 * figure, its title and its summary in words show with the first screen, whose script no longer
 * carries the plotting library, and building five plots no longer holds up its first frame.
 */
import type { ComponentChildren } from "preact";
import { useEffect, useLayoutEffect, useRef } from "preact/hooks";
import type uPlot from "uplot";
import type { Marker } from "../lib/alerts.ts";
import { drawnValues, palette } from "../lib/charts.ts";
import { afterFirstScreen } from "../lib/first-screen.ts";
import { downloadChartPng } from "../lib/png.ts";

interface Props {
  title: string;
  /** What the chart shows, in words (its accessible name's description). */
  summary: string;
  data: uPlot.AlignedData;
  /** The plot's options at a width, built with `lib` (uPlot, once loaded). */
  options: (lib: typeof uPlot, width: number) => uPlot.Options;
  /** Called after each `setData` (and after creation) with the chart. */
  onDraw?: (chart: uPlot) => void;
  testId?: string;
  attributes?: Record<string, string | number>;
  class?: string;
  children?: ComponentChildren;
  /** Incident starts and ends to mark (x in the chart's own units: epoch seconds). */
  markers?: readonly Marker[];
}

let library: Promise<typeof uPlot> | undefined;
/** uPlot, fetched once (its own chunk) and shared by every chart. */
const loadUplot = () => (library ??= import("uplot").then((m) => m.default));

let queue: Promise<void> = Promise.resolve();

/**
 * Runs `build` with uPlot after the first screen is shown and the next frame has been painted,
 * each caller in its own task and in call order, so several charts never make one long task. The
 * returned function cancels a pending build.
 */
function afterPaint(build: (lib: typeof uPlot) => void): () => void {
  let cancelled = false;
  const lib = loadUplot();
  queue = queue.then(afterFirstScreen).then(
    () =>
      new Promise<void>((resolve) => {
        let started = false;
        const run = () => {
          if (started) return;
          started = true;
          lib.then(
            (loaded) => {
              // A task of its own after the chunk's evaluation.
              setTimeout(() => {
                if (!cancelled) build(loaded);
                resolve();
              }, 0);
            },
            () => resolve(),
          );
        };
        // A hidden tab gets no animation frames: a timeout builds the plot all the same.
        const fallback = setTimeout(run, 100);
        requestAnimationFrame(() => {
          clearTimeout(fallback);
          // After the frame's paint, not before it.
          setTimeout(run, 0);
        });
      }),
  );
  return () => {
    cancelled = true;
  };
}

/** Lays the markers over the plot as lines (DOM, so they carry a title and tests can find them). */
function placeMarkers(u: uPlot, markers: readonly Marker[]): void {
  const layer =
    u.over.querySelector<HTMLDivElement>(".chart__markers") ??
    u.over.appendChild(Object.assign(document.createElement("div"), { className: "chart__markers" }));
  const { min, max } = u.scales.x ?? {};
  // A marker just past the last bucket (an alert a few seconds into the current minute) still
  // belongs on the chart: within one bucket either side, it is drawn at the edge.
  const step =
    min == null || max == null
      ? 0
      : Math.max(60, ((max - min) / Math.max(1, (u.data[0]?.length ?? 1) - 1)) * 1.5);
  const shown =
    min == null || max == null ? [] : markers.filter((m) => m.t >= min - step && m.t <= max + step);
  layer.replaceChildren(
    ...shown.map((m) => {
      const line = document.createElement("div");
      line.className = `chart__marker chart__marker--${m.kind}`;
      line.dataset.testid = "chart-marker";
      line.dataset.kind = m.kind;
      line.dataset.alertId = m.alertId;
      line.title = `${m.kind === "start" ? "Alert started" : "Alert resolved"}: ${m.label}`;
      line.style.left = `${u.valToPos(Math.min(max!, Math.max(min!, m.t)), "x")}px`;
      return line;
    }),
  );
}

export function Chart({
  title,
  summary,
  data,
  options,
  onDraw,
  testId,
  attributes,
  class: className,
  children,
  markers,
}: Props) {
  const host = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const latest = useRef({ data, onDraw, markers, options });
  latest.current = { data, onDraw, markers, options };

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    let stop: () => void = () => undefined;
    const cancel = afterPaint((lib) => {
      stop = build(element, lib);
    });
    return () => {
      cancel();
      stop();
    };
    // Created once: options are read at creation, data flows through setData below.
  }, []);

  // Builds the plot in `element` from the latest props (the build runs after the first render).
  function build(element: HTMLDivElement, lib: typeof uPlot): () => void {
    const opts = latest.current.options(lib, Math.max(element.clientWidth, 200));
    // The x span on the figure (seconds), so tests can tell a one-day axis from a years-wide one.
    const recordSpan = (u: uPlot, key: string) => {
      const { min, max } = u.scales.x ?? {};
      if (key === "x" && min != null && max != null)
        element.parentElement?.setAttribute("data-x-span", String(max - min));
    };
    const mark = (u: uPlot) => placeMarkers(u, latest.current.markers ?? []);
    opts.hooks = {
      ...opts.hooks,
      setScale: [...(opts.hooks?.setScale ?? []), recordSpan],
      draw: [...(opts.hooks?.draw ?? []), mark],
    };
    const created = new lib(opts, latest.current.data, element);
    chart.current = created;
    // The plot exists (tests wait for it: it is built after the first paint).
    element.parentElement?.setAttribute("data-plotted", "");
    // uPlot's legend has no accessible role; hide its cursor readout from screen readers.
    element.querySelector(".u-legend")?.setAttribute("aria-hidden", "true");
    latest.current.onDraw?.(created);
    const resize = new ResizeObserver(() => {
      const width = element.clientWidth;
      if (width > 0 && width !== created.width) created.setSize({ width, height: created.height });
    });
    resize.observe(element);
    // Colours are functions of the theme: redraw when it changes.
    const redraw = () => created.redraw(true, true);
    const scheme = window.matchMedia("(prefers-color-scheme: dark)");
    scheme.addEventListener("change", redraw);
    const theme = new MutationObserver(redraw);
    theme.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    return () => {
      resize.disconnect();
      theme.disconnect();
      scheme.removeEventListener("change", redraw);
      created.destroy();
      chart.current = null;
    };
  }

  useLayoutEffect(() => {
    const current = chart.current;
    if (!current || current.data === data) return;
    current.setData(data);
    latest.current.onDraw?.(current);
  }, [data]);

  useLayoutEffect(() => {
    if (chart.current) placeMarkers(chart.current, markers ?? []);
  }, [markers]);

  const download = () => {
    const canvas = chart.current?.ctx.canvas;
    const colours = palette();
    if (canvas) downloadChartPng(canvas, title, colours.bg, colours.text);
  };

  const drawn = drawnValues((data[1] ?? []) as (number | null)[]);
  return (
    // data-drawn: how many values the plot draws (tests check the canvas is not blank when > 0).
    <figure
      class={`chart card ${className ?? ""}`}
      data-testid={testId}
      data-drawn={drawn}
      data-markers={markers?.length ?? 0}
      {...attributes}
    >
      <figcaption class="chart__head">
        <h3 class="chart__title">{title}</h3>
        <button type="button" class="button button--quiet button--small" onClick={download}>
          PNG<span class="visually-hidden"> of {title}</span>
        </button>
        <p class="chart__summary muted">{summary}</p>
      </figcaption>
      <div class="chart__plot" ref={host} role="img" aria-label={`${title}. ${summary}`}>
        {drawn === 0 && (
          <p class="chart__empty muted" aria-hidden="true">
            No data yet
          </p>
        )}
      </div>
      {children}
    </figure>
  );
}
