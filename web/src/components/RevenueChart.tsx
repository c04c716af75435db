/**
 * Daily revenue with its 7-day average and the days the seed's 2σ test flags as anomalies (a red
 * marker). Hovering a day shows its numbers: revenue, the 7-day average, the z-score against the
 * previous 30 days.
 */
import { useMemo } from "preact/hooks";
import type uPlot from "uplot";
import type { Marker } from "../lib/alerts.ts";
import { type Answer, column } from "../lib/api.ts";
import { describeSeries } from "../lib/chart-words.ts";
import { chartOptions, daySeconds } from "../lib/charts.ts";
import { formatShortDay, formatValue } from "../lib/format.ts";
import { Chart } from "./Chart.tsx";

const zFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2, signDisplay: "exceptZero" });

interface Series {
  days: string[];
  revenue: (number | null)[];
  average: (number | null)[];
  z: (number | null)[];
  anomaly: boolean[];
}

function seriesOf(daily: Answer, advanced: Answer | null): Series {
  const days = column<string>(daily, "date");
  const byDay = new Map<string, [number | null, boolean]>();
  if (advanced) {
    const z = column<number | null>(advanced, "z_score");
    const flagged = column<boolean>(advanced, "is_anomaly");
    column<string>(advanced, "date").forEach((d, i) => {
      byDay.set(d, [z[i] ?? null, flagged[i] === true]);
    });
  }
  return {
    days,
    revenue: column<number | null>(daily, "total_revenue"),
    average: column<number | null>(daily, "seven_day_avg_revenue"),
    z: days.map((d) => byDay.get(d)?.[0] ?? null),
    anomaly: days.map((d) => byDay.get(d)?.[1] ?? false),
  };
}

/** A tooltip that follows the cursor, written straight to the DOM (no re-render per mouse move). */
function tooltip(series: { current: Series }): uPlot.Plugin {
  let tip: HTMLDivElement;
  return {
    hooks: {
      init: (u) => {
        tip = document.createElement("div");
        tip.className = "chart__tooltip";
        tip.hidden = true;
        tip.dataset.testid = "chart-tooltip";
        u.over.appendChild(tip);
      },
      setCursor: (u) => {
        const i = u.cursor.idx;
        const s = series.current;
        const day = i === null || i === undefined ? undefined : s.days[i];
        if (i === null || i === undefined || day === undefined) {
          tip.hidden = true;
          return;
        }
        const money = (v: number | null | undefined) =>
          v === null || v === undefined ? "—" : formatValue(v, "currency");
        const z = s.z[i];
        tip.replaceChildren(
          ...[
            formatShortDay(day),
            `Revenue ${money(s.revenue[i])}`,
            `7-day average ${money(s.average[i])}`,
            `z-score ${z === null || z === undefined ? "—" : zFormat.format(z)}${s.anomaly[i] ? " · anomaly" : ""}`,
          ].map((line) => Object.assign(document.createElement("div"), { textContent: line })),
        );
        tip.hidden = false;
        const left = u.cursor.left ?? 0;
        tip.style.transform = `translate(${left > u.over.clientWidth / 2 ? `calc(${left}px - 100% - 12px)` : `${left + 12}px`}, 8px)`;
      },
    },
  };
}

export function RevenueChart({
  daily,
  advanced,
  markers,
}: {
  daily: Answer;
  advanced: Answer | null;
  /** Alert incidents' starts and ends, at their days' midnights (epoch seconds). */
  markers?: readonly Marker[];
}) {
  const series = useMemo(() => seriesOf(daily, advanced), [daily, advanced]);
  const ref = useMemo(() => ({ current: series }), []);
  ref.current = series;
  const data = useMemo<uPlot.AlignedData>(
    () => [
      series.days.map(daySeconds),
      series.revenue,
      series.average,
      series.revenue.map((v, i) => (series.anomaly[i] ? v : null)),
    ],
    [series],
  );
  const anomalies = series.anomaly.filter(Boolean).length;
  const summary = `${describeSeries(series.days, series.revenue, "currency")} ${
    anomalies === 0
      ? "No anomalies."
      : `${anomalies} ${anomalies === 1 ? "anomaly" : "anomalies"} (over 2 standard deviations from the 30-day average).`
  }`;
  return (
    <Chart
      title="Revenue per day"
      summary={summary}
      data={data}
      testId="revenue-chart"
      markers={markers}
      class="chart--wide"
      attributes={{ "data-anomalies": anomalies }}
      options={(lib, width) =>
        chartOptions(
          lib,
          width,
          260,
          "day",
          [
            { label: "Revenue", kind: "currency", colour: "accent", fill: true },
            { label: "7-day average", kind: "currency", colour: "second", dash: [6, 4] },
            { label: "Anomaly", kind: "currency", colour: "danger", markers: true },
          ],
          [tooltip(ref)],
        )
      }
    />
  );
}
