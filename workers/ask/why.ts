/**
 * Why a metric moved: its value in two periods (`/query` with a comparison) and, for each of
 * region, customer segment, product category and product, the members whose change went the same
 * way, largest first (`/breakdown` of both periods). `explainChange` is what why-questions, the
 * daily briefing and alert explanations share.
 */
import { growthPct } from "../kpi/series.ts";
import { col, columnar } from "../kpi/table.ts";
import type { Answered, Label } from "./answer.ts";
import { type Contribution, contributions, type MemberValue } from "./contribution.ts";
import { type Engine, rowsOf } from "./engine.ts";
import {
  dimensionLabel,
  filterText,
  formatChange,
  formatDelta,
  formatValue,
  metricOf,
  pct,
  periodText,
  rangeText,
} from "./format.ts";
import type { Range, SemanticQuery } from "./intent.ts";

export const EXPLAINING_DIMENSIONS = ["region", "segment", "category", "product"] as const;
/** The largest pages a breakdown gives; more members are read page by page. */
const PAGE = 1_000;

export interface ChangeRequest {
  metric: string;
  filters: Record<string, string>;
  range: Range;
  compare: { mode: "previous_period" | "previous_year" | "range"; range: Range };
}

export interface Change {
  metric: string;
  value: number | null;
  previous: number | null;
  change: number | null;
  change_pct: number | null;
  drivers: Contribution[];
}

async function membersOf(engine: Engine, r: ChangeRequest, by: string, range: Range): Promise<MemberValue[]> {
  const out: MemberValue[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const call = await engine.run(
      "breakdown",
      {
        metric: r.metric,
        by,
        from: range.from,
        to: range.to,
        limit: String(PAGE),
        offset: String(offset),
        ...r.filters,
      },
      { everyPage: true },
    );
    for (const row of rowsOf(call.table)) {
      const value = row[r.metric];
      out.push({
        member: String(row.member),
        label: String(row.label ?? row.member),
        value: value === null ? null : Number(value),
      });
    }
    if (call.table.meta.next_offset === null || call.table.meta.next_offset === undefined) return out;
  }
}

/** The change of `metric` between the two periods and the members behind it. */
export async function explainChange(engine: Engine, r: ChangeRequest, perDimension = 3): Promise<Change> {
  const params = { metrics: r.metric, grain: "range", ...r.filters };
  let value: number | null;
  let previous: number | null;
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  if (r.compare.mode === "range") {
    const [now, before] = await Promise.all([
      engine.run("query", { ...params, ...r.range }),
      engine.run("query", { ...params, ...r.compare.range }),
    ]);
    value = num(rowsOf(now.table)[0]?.[r.metric]);
    previous = num(rowsOf(before.table)[0]?.[r.metric]);
  } else {
    const row =
      rowsOf((await engine.run("query", { ...params, ...r.range, compare: r.compare.mode })).table)[0] ?? {};
    value = num(row[r.metric]);
    previous = num(row[`${r.metric}_previous`]);
  }
  const change =
    value === null || previous === null ? null : (Math.round(value * 100) - Math.round(previous * 100)) / 100;
  const drivers: Contribution[] = [];
  if (change !== null && change !== 0) {
    const additive = metricOf(r.metric).additive;
    const dimensions = EXPLAINING_DIMENSIONS.filter((by) => r.filters[by] === undefined);
    // Independent reports, asked at once: one's cache lookup and table building overlap another's
    // query (the connection runs the queries one after the other).
    const members = await Promise.all(
      dimensions.map((by) =>
        Promise.all([membersOf(engine, r, by, r.range), membersOf(engine, r, by, r.compare.range)]),
      ),
    );
    dimensions.forEach((by, i) => {
      const [now, before] = members[i]!;
      drivers.push(...contributions(by, now, before, change, additive, perDimension));
    });
  }
  return {
    metric: r.metric,
    value,
    previous,
    change,
    change_pct: value === null || previous === null ? null : growthPct(value, previous),
    drivers,
  };
}

/** "By region, EMEA (−$1,200.00, 61.0 % of the change); by segment, …" */
export function driversText(c: Change, currency: string): string {
  const metric = metricOf(c.metric);
  const parts = EXPLAINING_DIMENSIONS.flatMap((dim) => {
    const top = c.drivers.filter((d) => d.dimension === dim);
    if (top.length === 0) return [];
    const list = top
      .map(
        (d) =>
          `${d.label} (${formatDelta(metric, d.change, currency)}${d.share_of_change_pct === null ? "" : `, ${pct(d.share_of_change_pct)} of the net change`})`,
      )
      .join(", ");
    return [`by ${dimensionLabel(dim)}, ${list}`];
  });
  return parts.length === 0 ? "" : `${parts.join("; ")}.`;
}

export async function answerWhy(engine: Engine, q: SemanticQuery, label: Label): Promise<Answered> {
  const metric = metricOf(q.metrics[0]!);
  const c = await explainChange(engine, {
    metric: metric.name,
    filters: q.filters,
    range: q.range,
    compare: q.compare!,
  });
  const currency = engine.ctx.currency;
  const where = filterText(q.filters, label);
  const result = columnar(
    [
      col("dimension", "string"),
      col("member", "string"),
      col("label", "string"),
      col("value", "number", metric.unit),
      col("previous", "number", metric.unit),
      col("change", "number", metric.unit),
      col("share_of_change_pct", "number", "percent"),
    ],
    c.drivers,
    { value: c.value, previous: c.previous, change: c.change, change_pct: c.change_pct },
  );
  const head = `${metric.label}${where} ${periodText(q.range)} was ${formatValue(metric, c.value, currency)}, ${formatChange(c.change_pct, c.previous)} on ${rangeText(q.compare!.range)} (${formatValue(metric, c.previous, currency)})`;
  if (c.change === null || c.change === 0) {
    return { answer: `${head}: there is no change to explain.`, result };
  }
  const moves = driversText(c, currency);
  const went = c.change > 0 ? "up" : "down";
  const contrary = q.moved && q.moved !== went ? `${metric.label} did not go ${q.moved}: ` : "";
  return {
    answer: `${contrary}${contrary ? head.charAt(0).toLowerCase() + head.slice(1) : head}, a change of ${formatDelta(metric, c.change, currency)}.${moves ? ` The largest moves in the same direction: ${moves}` : ""}`,
    result,
    chart: { kind: "bar", x: "label", y: ["change"] },
  };
}
