/**
 * What the question tests expect of an answer (only test files import it): the interpretation
 * written beside each question, and numbers computed from the generated sales by the reference.
 */
import { expect } from "vitest";
import { addDays } from "../../kpi/calendar.ts";
import type { AskBody } from "./client.ts";
import { rows } from "./client.ts";
import type { Expected } from "./questions.ts";
import { type Filters, type Range, type Reference, type Sale, select } from "./reference.ts";

export function close(actual: unknown, expected: number | null, what: string): void {
  if (expected === null) {
    expect(actual, what).toBeNull();
    return;
  }
  expect(typeof actual, what).toBe("number");
  expect(Math.abs((actual as number) - expected), `${what}: ${actual} ≠ ${expected}`).toBeLessThanOrEqual(
    1e-9 * Math.max(1, Math.abs(expected)),
  );
}

const growth = (now: number | null, was: number | null) =>
  now === null || was === null || was === 0 ? null : ((now - was) / was) * 100;

/** Metrics whose value without sales is null rather than 0 (ratios and percentiles). */
const EMPTY_NULL = new Set(["profit_margin_pct", "avg_order_value", "median_order_value", "p90_order_value"]);

/** ISO week start (Monday) of a day. */
const monday = (d: string) => addDays(d, -((new Date(`${d}T00:00:00Z`).getUTCDay() + 6) % 7));

export function checkInterpretation(body: AskBody, e: Expected, q: string): void {
  const i = body.interpretation;
  expect(i.shape, q).toBe(e.shape);
  expect({ from: i.from, to: i.to }, q).toEqual(e.range);
  expect(i.filters, q).toEqual(e.filters ?? {});
  const metrics = "metrics" in e ? e.metrics : "metric" in e ? [e.metric] : ["revenue"];
  expect(i.metrics, q).toEqual(metrics);
  if ("compare" in e && e.compare) expect({ from: i.compare?.from, to: i.compare?.to }, q).toEqual(e.compare);
  else expect(i.compare, q).toBeUndefined();
  if (e.shape === "compare") expect(i.compare?.mode, q).toBe(e.mode);
  if (e.shape === "rank") expect([i.breakdown, i.sort, i.limit], q).toEqual([e.by, e.sort, e.limit]);
  if (e.shape === "breakdown") expect(i.breakdown, q).toBe(e.by);
  if (e.shape === "trend") expect(i.grain, q).toBe(e.grain);
  if (e.shape === "members" || e.shape === "share") expect([i.by, i.members], q).toEqual([e.by, e.members]);
  if (e.shape === "flags")
    expect(i.flag, q).toEqual({ column: e.column, values: e.values, question: e.question });
}

/** Bucket keys of a trend, computed from the calendar independently of the engine. */
function bucketOf(grain: string, sale: Sale): string {
  switch (grain) {
    case "hour":
      return `${sale.date}T${String(sale.hour).padStart(2, "0")}:00`;
    case "day":
      return sale.date;
    case "week":
      return monday(sale.date);
    case "month":
      return `${sale.date.slice(0, 7)}-01`;
    default: {
      const m = Number(sale.date.slice(5, 7));
      return `${sale.date.slice(0, 4)}-${String(m - ((m - 1) % 3)).padStart(2, "0")}-01`;
    }
  }
}

/** Checks of an answer's numbers against the reference over `sales`, one method per answer shape. */
class NumberChecks {
  private readonly sales: Sale[];
  private readonly ref: Reference;

  constructor(sales: Sale[], ref: Reference) {
    this.sales = sales;
    this.ref = ref;
  }

  private trendExpected(
    metric: string,
    grain: string,
    range: Range,
    filters: Filters = {},
  ): Map<string, number | null> {
    const keys = new Map<string, Sale[]>();
    for (const s of select(this.sales, range, filters))
      keys.set(bucketOf(grain, s), [...(keys.get(bucketOf(grain, s)) ?? []), s]);
    const out = new Map<string, number | null>();
    for (const [k, xs] of keys) out.set(k, this.ref.of(metric, xs));
    return out;
  }

  private checkValue(
    _body: AskBody,
    result: Record<string, unknown>[],
    e: Extract<Expected, { shape: "value" }>,
    q: string,
    f: Filters,
  ): void {
    for (const m of e.metrics) close(result[0]![m], this.ref.metric(m, e.range, f), `${q} ${m}`);
  }

  private checkCompare(
    _body: AskBody,
    result: Record<string, unknown>[],
    e: Extract<Expected, { shape: "compare" }>,
    q: string,
    f: Filters,
  ): void {
    for (const m of e.metrics) {
      const now = this.ref.metric(m, e.range, f);
      const was = this.ref.metric(m, e.compare, f);
      close(result[0]![m], now, `${q} ${m}`);
      close(result[0]![`${m}_previous`], was, `${q} ${m} before`);
      close(result[0]![`${m}_change_pct`], growth(now, was), `${q} ${m} change`);
    }
  }

  private checkMembers(
    _body: AskBody,
    result: Record<string, unknown>[],
    e: Extract<Expected, { shape: "members" }>,
    q: string,
    f: Filters,
  ): void {
    expect(
      result.map((x) => x.member),
      q,
    ).toEqual(e.members);
    for (const x of result)
      close(
        x[e.metrics[0]!],
        this.ref.metric(e.metrics[0]!, e.range, { ...f, [e.by]: x.member as string }),
        `${q} ${x.member}`,
      );
  }

  private checkBreakdown(
    _body: AskBody,
    result: Record<string, unknown>[],
    e: Extract<Expected, { shape: "rank" | "breakdown" }>,
    q: string,
    f: Filters,
  ): void {
    const metric = e.metric;
    let expected: { member: string; value: number | null }[];
    if (e.shape === "rank" && (e.by === "day" || e.by === "week" || e.by === "month")) {
      const buckets = [...this.trendExpected(metric, e.by, e.range, f)].map(([member, value]) => ({
        member,
        value,
      }));
      const sign = e.sort === "asc" ? 1 : -1;
      expected = buckets
        .sort((a, b) => sign * ((a.value ?? 0) - (b.value ?? 0)) || a.member.localeCompare(b.member))
        .slice(0, e.limit);
      expect(
        result.map((x) => x.period),
        q,
      ).toEqual(expected.map((x) => x.member));
    } else {
      expected = this.ref.breakdown(metric, e.by, e.range, f);
      if (e.shape === "rank" && e.sort === "asc") expected.reverse();
      expected = expected.slice(0, e.shape === "rank" ? e.limit : 25);
      expect(
        result.map((x) => x.member),
        q,
      ).toEqual(expected.map((x) => x.member));
    }
    for (const [k, x] of result.entries()) close(x[metric], expected[k]!.value, `${q} #${k}`);
  }

  private checkTrend(
    _body: AskBody,
    result: Record<string, unknown>[],
    e: Extract<Expected, { shape: "trend" }>,
    q: string,
    f: Filters,
  ): void {
    for (const m of e.metrics) {
      const expected = this.trendExpected(m, e.grain, e.range, f);
      for (const x of result) {
        const key = String(x.period);
        close(x[m], expected.get(key) ?? (EMPTY_NULL.has(m) ? null : 0), `${q} ${key} ${m}`);
      }
    }
    const days = Math.round((Date.parse(e.range.to) - Date.parse(e.range.from)) / 86_400_000) + 1;
    if (e.grain === "day") expect(result.length, q).toBe(days);
    if (e.grain === "hour") expect(result.length, q).toBe(24 * days);
  }

  private checkFlags(
    body: AskBody,
    result: Record<string, unknown>[],
    e: Extract<Expected, { shape: "flags" }>,
    q: string,
    f: Filters,
  ): void {
    const days = this.ref.flags(e.range, f);
    const flagOf = (d: (typeof days)[number]) =>
      e.column === "volatility_flag" ? d.volatility : d.performance;
    const hits = e.question === "was" ? days : days.filter((d) => e.values.includes(flagOf(d)));
    expect(
      result.map((x) => x.date),
      q,
    ).toEqual(hits.map((d) => d.date));
    for (const [k, x] of result.entries()) {
      expect(x[e.column], q).toBe(flagOf(hits[k]!));
      close(x.total_revenue, hits[k]!.revenue, `${q} revenue`);
    }
    if (e.question === "was")
      expect(body.answer.startsWith(e.values.includes(flagOf(hits[0]!)) ? "Yes" : "No"), q).toBe(true);
  }

  private checkAnomalies(
    _body: AskBody,
    result: Record<string, unknown>[],
    e: Extract<Expected, { shape: "anomalies" }>,
    q: string,
    f: Filters,
  ): void {
    const hits = this.ref.flags(e.range, f).filter((d) => d.anomaly);
    expect(
      result.map((x) => x.date),
      q,
    ).toEqual(hits.map((d) => d.date));
    for (const [k, x] of result.entries())
      expect(Math.abs((x.z_score as number) - hits[k]!.z!), q).toBeLessThan(1e-6);
  }

  private checkWhy(
    _body: AskBody,
    result: Record<string, unknown>[],
    e: Extract<Expected, { shape: "why" }>,
    q: string,
    f: Filters,
  ): void {
    const now = this.ref.metric(e.metric, e.range, f);
    const was = this.ref.metric(e.metric, e.compare, f);
    const change = now === null || was === null ? 0 : (Math.round(now * 100) - Math.round(was * 100)) / 100;
    const sold = (range: Range, by: string, m: string) =>
      this.ref.breakdown("orders", by, range, f).some((x) => x.member === m);
    const additive = ![
      "profit_margin_pct",
      "avg_order_value",
      "median_order_value",
      "p90_order_value",
      "unique_customers",
    ].includes(e.metric);
    const expected = ["region", "segment", "category", "product"]
      .filter((d) => !(d in f))
      .flatMap((by) => {
        const members = new Set(
          [...select(this.sales, e.range, f), ...select(this.sales, e.compare, f)].map((s) =>
            String(
              s[
                (
                  {
                    region: "region",
                    segment: "segment",
                    category: "category",
                    product: "product",
                  } as const
                )[by as "region"]
              ],
            ),
          ),
        );
        return [...members]
          .map((m) => {
            const a = this.ref.metric(e.metric, e.range, { ...f, [by]: m });
            const b = this.ref.metric(e.metric, e.compare, { ...f, [by]: m });
            return {
              by,
              m,
              a,
              b,
              d: a === null || b === null ? null : (Math.round(a * 100) - Math.round(b * 100)) / 100,
            };
          })
          .filter((x) => x.d !== null && x.d !== 0 && Math.sign(x.d) === Math.sign(change))
          .filter((x) => additive || (sold(e.range, by, x.m) && sold(e.compare, by, x.m)))
          .sort((x, y) => Math.abs(y.d!) - Math.abs(x.d!) || (x.m < y.m ? -1 : 1))
          .slice(0, 3);
      });
    if (change === 0) expect(result, q).toEqual([]);
    else {
      expect(
        result.map((x) => [x.dimension, x.member]),
        q,
      ).toEqual(expected.map((x) => [x.by, x.m]));
      for (const [k, x] of result.entries()) close(x.change, expected[k]!.d, `${q} change ${x.member}`);
    }
  }

  private checkShare(
    _body: AskBody,
    result: Record<string, unknown>[],
    e: Extract<Expected, { shape: "share" }>,
    q: string,
    f: Filters,
  ): void {
    const m = e.metrics[0]!;
    const part = this.ref.metric(m, e.range, { ...f, [e.by]: e.members[0]! })!;
    const whole = this.ref.metric(m, e.range, f)!;
    close(result[0]![m], part, `${q} part`);
    close(result[0]!.total, whole, `${q} total`);
    close(result[0]!.share_pct, (part / whole) * 100, `${q} share`);
  }

  check(body: AskBody, e: Expected, q: string): void {
    const result = rows(body.result!);
    const f = e.filters ?? {};
    switch (e.shape) {
      case "value":
        this.checkValue(body, result, e, q, f);
        return;
      case "compare":
        this.checkCompare(body, result, e, q, f);
        return;
      case "share":
        this.checkShare(body, result, e, q, f);
        return;
      case "members":
        this.checkMembers(body, result, e, q, f);
        return;
      case "rank":
      case "breakdown":
        this.checkBreakdown(body, result, e, q, f);
        return;
      case "trend":
        this.checkTrend(body, result, e, q, f);
        return;
      case "flags":
        this.checkFlags(body, result, e, q, f);
        return;
      case "anomalies":
        this.checkAnomalies(body, result, e, q, f);
        return;
      case "why":
        this.checkWhy(body, result, e, q, f);
        return;
    }
  }
}

/** Checks of an answer's numbers against the reference over `sales`. */
export function numberChecks(sales: Sale[], ref: Reference) {
  const checks = new NumberChecks(sales, ref);
  return (body: AskBody, e: Expected, q: string): void => checks.check(body, e, q);
}
