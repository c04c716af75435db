/** One daily metric of the overview (orders, unique customers, average order value) as a line. */
import { useMemo } from "preact/hooks";
import type uPlot from "uplot";
import { type Answer, column } from "../lib/api.ts";
import { describeSeries } from "../lib/chart-words.ts";
import { chartOptions, daySeconds } from "../lib/charts.ts";
import type { ValueKind } from "../lib/format.ts";
import { Chart } from "./Chart.tsx";

interface Props {
  days: Answer;
  metric: string;
  title: string;
  kind: ValueKind;
}

export function MetricChart({ days, metric, title, kind }: Props) {
  const periods = column<string>(days, "period");
  const values = column<number | null>(days, metric);
  const data = useMemo<uPlot.AlignedData>(() => [periods.map(daySeconds), values], [days, metric]);
  return (
    <Chart
      title={title}
      summary={describeSeries(periods, values, kind)}
      data={data}
      testId={`chart-${metric}`}
      options={(lib, width) =>
        chartOptions(lib, width, 180, "day", [{ label: title, kind, colour: "accent", fill: true }])
      }
    />
  );
}
