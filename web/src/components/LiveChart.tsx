/**
 * Revenue per minute over the last 60 minutes, from the live room's minute buckets: every frame
 * moves it through `setData` on the one chart. It publishes what it shows for tests and benches
 * (`data-points`, `data-latest`, `data-total`) and, once a frame has reached the screen (the next
 * animation frame after `setData`), records `performance.measure("pulse:live-update")` from the
 * moment that frame arrived. A wall screen runs for days: the entries are cleared every
 * `KEEP_MEASURES`, so the browser's timeline doesn't grow without end.
 */
import { useCallback, useMemo, useRef } from "preact/hooks";
import type uPlot from "uplot";
import type { MinuteSeries } from "../../../workers/live/protocol.ts";
import type { Marker } from "../lib/alerts.ts";
import { chartOptions } from "../lib/charts.ts";
import { formatValue } from "../lib/format.ts";
import { denseMinutes } from "../lib/overview.ts";
import { Chart } from "./Chart.tsx";

const WINDOW = 60;
const MEASURE = "pulse:live-update";
const KEEP_MEASURES = 10_000;

interface Props {
  minutes: MinuteSeries;
  /** Server time of the figures (the window ends at its minute); null before the first frame. */
  asOf: string | null;
  /** `performance.now()` when the frame now shown arrived; null when none has. */
  arrivedAt: number | null;
  /** What the figures cover: "all sales", "region EMEA"… */
  scope: string;
  /** Where alert incidents started and ended (epoch seconds). */
  markers?: readonly Marker[];
}

export function LiveChart({ minutes, asOf, arrivedAt, scope, markers }: Props) {
  const data = useMemo<uPlot.AlignedData>(
    () => denseMinutes(minutes, asOf === null ? Date.now() : Date.parse(asOf), WINDOW),
    [minutes, asOf],
  );
  const revenue = data[1] as number[];
  const total = revenue.reduce((sum, v) => sum + v, 0);
  const latest = revenue[revenue.length - 1] ?? 0;
  const measured = useRef(0);
  const measure = useCallback(() => {
    if (arrivedAt === null) return;
    requestAnimationFrame(() => {
      measured.current += 1;
      if (measured.current % KEEP_MEASURES === 0) performance.clearMeasures(MEASURE);
      performance.measure(MEASURE, { start: arrivedAt });
    });
  }, [arrivedAt]);
  const sold = revenue.filter((v) => v > 0).length;
  return (
    <Chart
      title="Live: revenue per minute, last 60 minutes"
      summary={`${formatValue(total, "currency")} in the last hour (${scope}); ${sold} of ${WINDOW} minutes with sales; this minute ${formatValue(latest, "currency")}.`}
      data={data}
      onDraw={measure}
      markers={markers}
      testId="live-chart"
      class="chart--wide"
      attributes={{
        "data-points": revenue.length,
        "data-latest": latest,
        "data-total": Math.round(total * 100) / 100,
      }}
      options={(lib, width) =>
        chartOptions(lib, width, 200, "minute", [
          { label: "Revenue", kind: "currency", colour: "accent", bars: true },
        ])
      }
    />
  );
}
