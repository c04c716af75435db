/**
 * Answers for the shapes that read `/query` and `/breakdown` — a value, a comparison, members side
 * by side, rankings, breakdowns and trends: which report calls a semantic query makes, the result
 * table it shows, and the sentence written from that table's numbers.
 */
import { GRAINS } from "../kpi/model.ts";
import { growthPct } from "../kpi/series.ts";
import { col, columnar, type Table } from "../kpi/table.ts";
import { type Engine, rowsOf } from "./engine.ts";
import {
  dimensionLabel,
  filterText,
  formatChange,
  formatValue,
  metricOf,
  pct,
  periodText,
  rangeText,
} from "./format.ts";
import type { Range, SemanticQuery } from "./intent.ts";

export type Label = (dimension: string, member: string) => string;

export interface Chart {
  kind: "line" | "bar";
  x: string;
  y: string[];
}

export interface Answered {
  answer: string;
  result: Pick<Table, "columns" | "data">;
  chart?: Chart;
}

/** "Orders … were", "Revenue … was". */
const verb = (label: string) => (/(s|sold)$/.test(label) ? "were" : "was");
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const scope = (q: SemanticQuery, label: Label, range: Range = q.range) =>
  `${filterText(q.filters, label)} ${periodText(range)}`;
export const rangeParams = (q: SemanticQuery, range: Range = q.range) => ({
  from: range.from,
  to: range.to,
  ...q.filters,
});

export async function answerValue(engine: Engine, q: SemanticQuery, label: Label): Promise<Answered> {
  const call = await engine.run("query", { metrics: q.metrics.join(","), grain: "range", ...rangeParams(q) });
  const row = rowsOf(call.table)[0] ?? {};
  const values = q.metrics.map((m) => ({ m: metricOf(m), v: num(row[m]) }));
  const text =
    values.length === 1
      ? `${values[0]!.m.label}${scope(q, label)} ${verb(values[0]!.m.label)} ${formatValue(values[0]!.m, values[0]!.v, engine.ctx.currency)}.`
      : `${capital(scope(q, label).trim())}: ${values.map(({ m, v }) => `${m.label.toLowerCase()} ${formatValue(m, v, engine.ctx.currency)}`).join(", ")}.`;
  return { answer: text, result: call.table };
}

export async function answerCompare(engine: Engine, q: SemanticQuery, label: Label): Promise<Answered> {
  const against = q.compare!;
  let result: Table;
  if (against.mode === "range") {
    const metrics = q.metrics.join(",");
    // Two independent reports, asked at once.
    const [nowCall, beforeCall] = await Promise.all([
      engine.run("query", { metrics, grain: "range", ...rangeParams(q) }),
      engine.run("query", { metrics, grain: "range", ...rangeParams(q, against.range) }),
    ]);
    const now = rowsOf(nowCall.table)[0] ?? {};
    const before = rowsOf(beforeCall.table)[0] ?? {};
    const row: Record<string, unknown> = {
      period: now.period,
      label: now.label,
      compare_period: before.period,
    };
    const columns = [col("period", "date"), col("label", "string")];
    for (const m of q.metrics) {
      const metric = metricOf(m);
      const type = metric.format === "integer" ? "integer" : "number";
      columns.push(col(m, type, metric.unit));
      row[m] = num(now[m]);
      row[`${m}_previous`] = num(before[m]);
      const a = num(now[m]);
      const b = num(before[m]);
      row[`${m}_change_pct`] = a === null || b === null ? null : growthPct(a, b);
    }
    columns.push(col("compare_period", "date"));
    for (const m of q.metrics) {
      const metric = metricOf(m);
      columns.push(col(`${m}_previous`, metric.format === "integer" ? "integer" : "number", metric.unit));
      columns.push(col(`${m}_change_pct`, "number", "percent"));
    }
    result = columnar(columns, [row], {});
  } else {
    const call = await engine.run("query", {
      metrics: q.metrics.join(","),
      grain: "range",
      compare: against.mode,
      ...rangeParams(q),
    });
    result = call.table;
  }
  const row = rowsOf(result)[0] ?? {};
  const sentences = q.metrics.map((m) => {
    const metric = metricOf(m);
    const now = num(row[m]);
    const before = num(row[`${m}_previous`]);
    const change = num(row[`${m}_change_pct`]);
    return `${metric.label}${scope(q, label)} ${verb(metric.label)} ${formatValue(metric, now, engine.ctx.currency)}, ${formatChange(change, before)} on ${rangeText(against.range)} (${formatValue(metric, before, engine.ctx.currency)}).`;
  });
  return { answer: sentences.join(" "), result };
}

export async function answerMembers(engine: Engine, q: SemanticQuery, label: Label): Promise<Answered> {
  const by = q.by!;
  const members = q.members ?? [];
  // Independent reports, asked at once.
  const calls = await Promise.all(
    members.map((member) =>
      engine.run("query", { metrics: q.metrics.join(","), grain: "range", ...rangeParams(q), [by]: member }),
    ),
  );
  const rows: Record<string, unknown>[] = members.map((member, i) => {
    const row = rowsOf(calls[i]!.table)[0] ?? {};
    return {
      member,
      label: label(by, member),
      ...Object.fromEntries(q.metrics.map((m) => [m, num(row[m])])),
    };
  });
  const columns = [
    col("member", "string"),
    col("label", "string"),
    ...q.metrics.map((m) =>
      col(m, metricOf(m).format === "integer" ? "integer" : "number", metricOf(m).unit),
    ),
  ];
  const first = metricOf(q.metrics[0]!);
  const values = rows.map((r) => r[first.name] as number | null);
  let text = `${first.label}${scope(q, label)}: ${rows.map((r) => `${r.label} ${formatValue(first, r[first.name] as number | null, engine.ctx.currency)}`).join(", ")}.`;
  if (rows.length === 2 && values[0] !== null && values[1] !== null) {
    const diff = growthPct(values[0]!, values[1]!);
    if (diff !== null && diff !== 0)
      text += ` ${rows[0]!.label} is ${pct(Math.abs(diff))} ${diff > 0 ? "above" : "below"} ${rows[1]!.label}.`;
  }
  return {
    answer: text,
    result: columnar(columns, rows, {}),
    chart: { kind: "bar", x: "label", y: [first.name] },
  };
}

/** A breakdown row's readable name; the empty sales-rep member holds the sales without a rep. */
const nameOf = (r: Record<string, unknown>) => String(r.label || r.member || "no sales rep");

function listMembers(
  rows: Record<string, unknown>[],
  metric: ReturnType<typeof metricOf>,
  currency: string,
): string {
  return rows
    .map((r, i) => {
      const share =
        metric.additive && r.share_pct !== null && r.share_pct !== undefined
          ? `, ${pct(Number(r.share_pct))}`
          : "";
      return `${i + 1}. ${nameOf(r)} (${formatValue(metric, num(r[metric.name]), currency)}${share})`;
    })
    .join("; ");
}

export async function answerRank(engine: Engine, q: SemanticQuery, label: Label): Promise<Answered> {
  const metric = metricOf(q.metrics[0]!);
  const by = q.by!;
  const word = q.sort === "asc" ? "worst" : "best";
  if (by === "day" || by === "week" || by === "month") {
    const call = await engine.run("query", { metrics: metric.name, grain: by, ...rangeParams(q) });
    const sign = q.sort === "asc" ? 1 : -1;
    const ranked = rowsOf(call.table)
      .filter((r) => r[metric.name] !== null)
      .sort(
        (a, b) =>
          sign * (Number(a[metric.name]) - Number(b[metric.name])) ||
          String(a.period).localeCompare(String(b.period)),
      )
      .slice(0, q.limit ?? 1);
    const result = columnar(call.table.columns, ranked, {});
    if (ranked.length === 0) return { answer: `No ${by} had a value${scope(q, label)}.`, result };
    const text =
      ranked.length === 1
        ? `The ${word} ${by} by ${metric.label.toLowerCase()}${scope(q, label)} was ${ranked[0]!.label} with ${formatValue(metric, num(ranked[0]![metric.name]), engine.ctx.currency)}.`
        : `The ${ranked.length} ${word} ${by}s by ${metric.label.toLowerCase()}${scope(q, label)}: ${ranked.map((r, i) => `${i + 1}. ${r.label} (${formatValue(metric, num(r[metric.name]), engine.ctx.currency)})`).join("; ")}.`;
    return { answer: text, result, chart: { kind: "bar", x: "label", y: [metric.name] } };
  }
  const call = await engine.run("breakdown", {
    metric: metric.name,
    by,
    sort: "value",
    order: q.sort ?? "desc",
    limit: String(q.limit ?? 1),
    ...rangeParams(q),
  });
  const rows = rowsOf(call.table);
  const dim = dimensionLabel(by);
  if (rows.length === 0) return { answer: `No ${dim} had sales${scope(q, label)}.`, result: call.table };
  let text: string;
  if (q.limit === 1) {
    const r = rows[0]!;
    const share =
      metric.additive && r.share_pct !== null ? ` (${pct(Number(r.share_pct))} of the total)` : "";
    text = `The ${word} ${dim} by ${metric.label.toLowerCase()}${scope(q, label)} was ${nameOf(r)} with ${formatValue(metric, num(r[metric.name]), engine.ctx.currency)}${share}.`;
  } else {
    const total = Number(call.table.meta.total ?? rows.length);
    text = `${q.sort === "asc" ? "Bottom" : "Top"} ${rows.length} ${dim}s by ${metric.label.toLowerCase()}${scope(q, label)}: ${listMembers(rows, metric, engine.ctx.currency)}.`;
    if (rows.length < (q.limit ?? 1)) text += ` Only ${total} ${dim}s had sales.`;
  }
  return { answer: text, result: call.table, chart: { kind: "bar", x: "label", y: [metric.name] } };
}

const SHOWN = 25;

export async function answerBreakdown(engine: Engine, q: SemanticQuery, label: Label): Promise<Answered> {
  const metric = metricOf(q.metrics[0]!);
  const call = await engine.run("breakdown", {
    metric: metric.name,
    by: q.by!,
    limit: String(SHOWN),
    ...rangeParams(q),
  });
  const rows = rowsOf(call.table);
  const dim = dimensionLabel(q.by!);
  const total = Number(call.table.meta.total ?? rows.length);
  if (rows.length === 0) return { answer: `No ${dim} had sales${scope(q, label)}.`, result: call.table };
  let text = `${metric.label} by ${dim}${scope(q, label)}: ${listMembers(rows, metric, engine.ctx.currency)}.`;
  if (total > rows.length) text += ` The ${rows.length} largest of ${total} ${dim}s are shown.`;
  return { answer: text, result: call.table, chart: { kind: "bar", x: "label", y: [metric.name] } };
}

const GRAIN_WORD: Record<string, string> = {
  hour: "Hourly",
  day: "Daily",
  week: "Weekly",
  month: "Monthly",
  quarter: "Quarterly",
  fiscal_quarter: "Per fiscal quarter,",
  year: "Yearly",
};

/** Σ of a column in cents (exact), back in units. */
const sum = (values: (number | null)[]) =>
  values.reduce<number>((s, v) => s + Math.round((v ?? 0) * 100), 0) / 100;

export async function answerTrend(engine: Engine, q: SemanticQuery, label: Label): Promise<Answered> {
  const call = await engine.run("query", {
    metrics: q.metrics.join(","),
    grain: q.grain!,
    ...(q.compare ? { compare: q.compare.mode } : {}),
    ...rangeParams(q),
  });
  const rows = rowsOf(call.table);
  const metric = metricOf(q.metrics[0]!);
  const values = rows.map((r) => num(r[metric.name]));
  const present = rows.filter((r) => r[metric.name] !== null);
  const grain = GRAINS.get(q.grain!)!;
  let text = `${GRAIN_WORD[grain.name] ?? grain.label} ${metric.label.toLowerCase()}${scope(q, label)}: ${rows.length} ${grain.label.toLowerCase().replace(" (iso)", "")}${rows.length === 1 ? "" : "s"}`;
  const fmt = (v: unknown) => formatValue(metric, num(v), engine.ctx.currency);
  if (metric.additive) text += `, ${fmt(sum(values))} in total`;
  if (present.length > 0) {
    const high = present.reduce((a, b) => (Number(b[metric.name]) > Number(a[metric.name]) ? b : a));
    const low = present.reduce((a, b) => (Number(b[metric.name]) < Number(a[metric.name]) ? b : a));
    text += `; highest ${high.label} (${fmt(high[metric.name])}), lowest ${low.label} (${fmt(low[metric.name])})`;
  }
  if (q.compare && metric.additive) {
    const before = sum(rows.map((r) => num(r[`${metric.name}_previous`])));
    text += `; ${fmt(before)} in ${rangeText(q.compare.range)} (${formatChange(growthPct(sum(values), before), before)})`;
  }
  return { answer: `${text}.`, result: call.table, chart: { kind: "line", x: "period", y: q.metrics } };
}

/** A member's share of the whole: its row of `/breakdown` (share computed there) and the total from `/query`. */
export async function answerShare(engine: Engine, q: SemanticQuery, label: Label): Promise<Answered> {
  const metric = metricOf(q.metrics[0]!);
  const by = q.by!;
  const member = q.members![0]!;
  // The total and the member's row are independent reports: asked at once.
  const whole = engine.run("query", { metrics: metric.name, grain: "range", ...rangeParams(q) });
  // Awaited below; a failure of the breakdown first must not leave this one unobserved.
  whole.catch(() => undefined);
  let row: Record<string, unknown> | undefined;
  for (let offset = 0; row === undefined; offset += 1_000) {
    const call = await engine.run(
      "breakdown",
      {
        metric: metric.name,
        by,
        limit: "1000",
        offset: String(offset),
        ...rangeParams(q),
      },
      { everyPage: true },
    );
    row = rowsOf(call.table).find((r) => r.member === member);
    if (call.table.meta.next_offset === null || call.table.meta.next_offset === undefined) break;
  }
  const total = num(rowsOf((await whole).table)[0]?.[metric.name]);
  const fmt = (v: number | null) => formatValue(metric, v, engine.ctx.currency);
  const name = label(by, member);
  const columns = [
    col("member", "string"),
    col("label", "string"),
    col(metric.name, "number", metric.unit),
    col("share_pct", "number", "percent"),
    col("total", "number", metric.unit),
  ];
  const result = columnar(columns, row ? [{ ...row, total }] : [], {});
  const text = row
    ? `${name} made ${pct(Number(row.share_pct))} of ${metric.label.toLowerCase()}${scope(q, label)}: ${fmt(num(row[metric.name]))} of ${fmt(total)}.`
    : `${name} had no sales${scope(q, label)}; the total was ${fmt(total)}.`;
  return { answer: text, result };
}
