/**
 * One uPlot chart in a <figure>: created once when it mounts, then fed with `setData` — a new
 * series never rebuilds it. It follows its container's width and the colour theme, describes
 * itself in words for screen readers (and under the title, for everyone), and downloads as a PNG.
 */
import type { ComponentChildren } from "preact";
import { useEffect, useLayoutEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import { drawnValues, palette } from "../lib/charts.ts";
import { downloadChartPng } from "../lib/png.ts";

interface Props {
  title: string;
  /** What the chart shows, in words (its accessible name's description). */
  summary: string;
  data: uPlot.AlignedData;
  options: (width: number) => uPlot.Options;
  /** Called after each `setData` (and after creation) with the chart. */
  onDraw?: (chart: uPlot) => void;
  testId?: string;
  attributes?: Record<string, string | number>;
  class?: string;
  children?: ComponentChildren;
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
}: Props) {
  const host = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const latest = useRef({ data, onDraw });
  latest.current = { data, onDraw };

  useLayoutEffect(() => {
    const element = host.current;
    if (!element) return;
    const opts = options(Math.max(element.clientWidth, 200));
    // The x span on the figure (seconds), so tests can tell a one-day axis from a years-wide one.
    const recordSpan = (u: uPlot, key: string) => {
      const { min, max } = u.scales.x ?? {};
      if (key === "x" && min != null && max != null)
        element.parentElement?.setAttribute("data-x-span", String(max - min));
    };
    opts.hooks = { ...opts.hooks, setScale: [...(opts.hooks?.setScale ?? []), recordSpan] };
    const created = new uPlot(opts, latest.current.data, element);
    chart.current = created;
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
    // Created once: options are read at creation, data flows through setData below.
  }, []);

  useLayoutEffect(() => {
    const current = chart.current;
    if (!current || current.data === data) return;
    current.setData(data);
    latest.current.onDraw?.(current);
  }, [data]);

  // uPlot's legend has no accessible role; hide its cursor readout from screen readers.
  useEffect(() => {
    host.current?.querySelector(".u-legend")?.setAttribute("aria-hidden", "true");
  }, []);

  const download = () => {
    const canvas = chart.current?.ctx.canvas;
    const colours = palette();
    if (canvas) downloadChartPng(canvas, title, colours.bg, colours.text);
  };

  const drawn = drawnValues((data[1] ?? []) as (number | null)[]);
  return (
    // data-drawn: how many values the plot draws (tests check the canvas is not blank when > 0).
    <figure class={`chart card ${className ?? ""}`} data-testid={testId} data-drawn={drawn} {...attributes}>
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
