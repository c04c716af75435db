/**
 * `POST /api/v1/ask` over a generated dataset loaded through the pipeline: every question of the
 * test set gets the interpretation written by hand beside it and the numbers computed straight from
 * the generated sales (`testing/reference.ts`), equal to what the KPI endpoint it cites returns;
 * every unanswerable or adversarial question is refused or clarified without a number; no question
 * changes data; malformed requests get a 4xx that says what to fix.
 */
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { TEST_VIEWER_TOKEN } from "../../test/support/tokens.ts";
import { addDays } from "../kpi/calendar.ts";
import { type AskBody, ask, fingerprint, post, rows, viewerGet } from "./testing/client.ts";
import { generateSales, loadDataset, type Sale } from "./testing/dataset.ts";
import { ANSWERED, type Expected, UNANSWERED } from "./testing/questions.ts";
import { type Filters, type Range, Reference, select } from "./testing/reference.ts";

let sales: Sale[];
let ref: Reference;
let before: string;

beforeAll(async () => {
  sales = generateSales();
  ref = new Reference(sales);
  await loadDataset(sales);
  before = await fingerprint();
}, 180_000);

function close(actual: unknown, expected: number | null, what: string): void {
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

function checkInterpretation(body: AskBody, e: Expected, q: string): void {
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
  if (e.shape === "members") expect([i.by, i.members], q).toEqual([e.by, e.members]);
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

function trendExpected(
  metric: string,
  grain: string,
  range: Range,
  filters: Filters = {},
): Map<string, number | null> {
  const keys = new Map<string, Sale[]>();
  for (const s of select(sales, range, filters))
    keys.set(bucketOf(grain, s), [...(keys.get(bucketOf(grain, s)) ?? []), s]);
  const out = new Map<string, number | null>();
  for (const [k, xs] of keys) out.set(k, ref.of(metric, xs));
  return out;
}

function checkNumbers(body: AskBody, e: Expected, q: string): void {
  const result = rows(body.result!);
  const f = e.filters ?? {};
  switch (e.shape) {
    case "value":
      for (const m of e.metrics) close(result[0]![m], ref.metric(m, e.range, f), `${q} ${m}`);
      break;
    case "compare":
      for (const m of e.metrics) {
        const now = ref.metric(m, e.range, f);
        const was = ref.metric(m, e.compare, f);
        close(result[0]![m], now, `${q} ${m}`);
        close(result[0]![`${m}_previous`], was, `${q} ${m} before`);
        close(result[0]![`${m}_change_pct`], growth(now, was), `${q} ${m} change`);
      }
      break;
    case "members":
      expect(
        result.map((x) => x.member),
        q,
      ).toEqual(e.members);
      for (const x of result)
        close(
          x[e.metrics[0]!],
          ref.metric(e.metrics[0]!, e.range, { ...f, [e.by]: x.member as string }),
          `${q} ${x.member}`,
        );
      break;
    case "rank":
    case "breakdown": {
      const metric = e.metric;
      let expected: { member: string; value: number | null }[];
      if (e.shape === "rank" && (e.by === "day" || e.by === "week" || e.by === "month")) {
        const buckets = [...trendExpected(metric, e.by, e.range, f)].map(([member, value]) => ({
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
        expected = ref.breakdown(metric, e.by, e.range, f);
        if (e.shape === "rank" && e.sort === "asc") expected.reverse();
        expected = expected.slice(0, e.shape === "rank" ? e.limit : 25);
        expect(
          result.map((x) => x.member),
          q,
        ).toEqual(expected.map((x) => x.member));
      }
      for (const [k, x] of result.entries()) close(x[metric], expected[k]!.value, `${q} #${k}`);
      break;
    }
    case "trend": {
      for (const m of e.metrics) {
        const expected = trendExpected(m, e.grain, e.range, f);
        for (const x of result) {
          const key = String(x.period);
          close(x[m], expected.get(key) ?? (EMPTY_NULL.has(m) ? null : 0), `${q} ${key} ${m}`);
        }
      }
      const days = Math.round((Date.parse(e.range.to) - Date.parse(e.range.from)) / 86_400_000) + 1;
      if (e.grain === "day") expect(result.length, q).toBe(days);
      if (e.grain === "hour") expect(result.length, q).toBe(24 * days);
      break;
    }
    case "flags": {
      const days = ref.flags(e.range, f);
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
      break;
    }
    case "anomalies": {
      const hits = ref.flags(e.range, f).filter((d) => d.anomaly);
      expect(
        result.map((x) => x.date),
        q,
      ).toEqual(hits.map((d) => d.date));
      for (const [k, x] of result.entries())
        expect(Math.abs((x.z_score as number) - hits[k]!.z!), q).toBeLessThan(1e-6);
      break;
    }
    case "why": {
      const now = ref.metric(e.metric, e.range, f);
      const was = ref.metric(e.metric, e.compare, f);
      const change = now === null || was === null ? 0 : (Math.round(now * 100) - Math.round(was * 100)) / 100;
      const sold = (range: Range, by: string, m: string) =>
        ref.breakdown("orders", by, range, f).some((x) => x.member === m);
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
            [...select(sales, e.range, f), ...select(sales, e.compare, f)].map((s) =>
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
              const a = ref.metric(e.metric, e.range, { ...f, [by]: m });
              const b = ref.metric(e.metric, e.compare, { ...f, [by]: m });
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
      break;
    }
  }
}

/** Shapes whose result is the primary call's table as the endpoint returns it. */
const ENDPOINT_SHAPES = new Set(["value", "rank", "breakdown", "trend"]);

describe("answered questions", () => {
  it(`has at least 150 of them`, () => {
    expect(ANSWERED.length).toBeGreaterThanOrEqual(150);
  });

  it("answers each with the expected interpretation and independently computed numbers, citing its sources", async () => {
    const failures: string[] = [];
    for (const [q, e] of ANSWERED) {
      const body = await ask(q);
      try {
        expect(body.status, `${q}: ${body.answer}`).toBe("answered");
        checkInterpretation(body, e, q);
        checkNumbers(body, e, q);
        const s = body.sources!;
        expect(s.sql, q).toMatch(/SELECT/);
        expect(s.tables.length, q).toBeGreaterThan(0);
        expect(s.row_count, q).toBe(body.result!.data[0]?.length ?? 0);
        expect(
          s.metrics.map((m) => m.name),
          q,
        ).toEqual(body.interpretation.metrics);
        // The cited endpoint returns the same numbers.
        if (
          ENDPOINT_SHAPES.has(e.shape) &&
          !(e.shape === "rank" && ["day", "week", "month"].includes(e.by))
        ) {
          const api = await viewerGet(s.endpoint);
          expect(api.data, `${q} vs ${s.endpoint}`).toEqual(body.result!.data);
        }
      } catch (error) {
        failures.push(`${q}\n   ${body.answer}\n   ${String(error).split("\n").slice(0, 3).join(" ")}`);
      }
    }
    expect(failures, failures.join("\n")).toEqual([]);
  }, 300_000);

  it("writes the numbers into the sentence", async () => {
    const body = await ask("revenue in EMEA last week vs the week before");
    const row = rows(body.result!)[0]!;
    const money = (v: number) =>
      `$${v.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
    expect(body.answer).toContain(money(row.revenue as number));
    expect(body.answer).toContain(money(row.revenue_previous as number));
    expect(body.answer).toMatch(
      new RegExp(`(up|down) ${Math.abs(row.revenue_change_pct as number).toFixed(1)} %`),
    );
    expect(body.interpretation.text).toBe(
      "revenue · region = EMEA · 2058-11-18 to 2058-11-24 vs 2058-11-11 to 2058-11-17 (the previous period)",
    );
    expect(body.sources!.endpoint).toBe(
      "/api/v1/query?metrics=revenue&grain=range&compare=previous_period&from=2058-11-18&to=2058-11-24&region=EMEA",
    );
    expect(body.sources!.tables).toEqual(["kpi_day_slice", "dim_time"]);
  });

  it("says so when a why-question gets the direction wrong", async () => {
    const y = { from: "2058-11-25", to: "2058-11-25" };
    const rose = ref.metric("revenue", y)! > ref.metric("revenue", { from: "2058-11-24", to: "2058-11-24" })!;
    const body = await ask(`why did revenue ${rose ? "drop" : "rise"} yesterday?`);
    expect(
      body.answer.startsWith(`Revenue did not go ${rose ? "down" : "up"}: revenue on 2058-11-25 was`),
    ).toBe(true);
  });

  it("names the product, not its id, and clarifies with candidates", async () => {
    const named = await ask("Nimbus Chair revenue yesterday");
    expect(named.interpretation.text).toContain("product = Nimbus Chair");
    const north = await ask("sales in the north");
    expect(north.status).toBe("clarify");
    expect(north.candidates!.map((c) => c.label)).toEqual(
      expect.arrayContaining(["North America", "North Africa"]),
    );
    const nimbus = await ask("nimbus revenue last month");
    expect(nimbus.candidates!.map((c) => c.label).sort()).toEqual(["Nimbus Chair", "Nimbus Stool"]);
  });
});

describe("unanswerable and adversarial questions", () => {
  it(`has at least 50 of them`, () => {
    expect(UNANSWERED.length).toBeGreaterThanOrEqual(50);
  });

  it("refuses or clarifies every one, never with a number, and changes no data", async () => {
    const answered: string[] = [];
    for (const q of UNANSWERED) {
      const body = await ask(q);
      if (
        body.status === "answered" ||
        body.result !== null ||
        body.sources !== null ||
        /\$\s?\d/.test(body.answer)
      ) {
        answered.push(`${q} → ${body.status}: ${body.answer}`);
      }
      expect(body.suggestions?.length, q).toBeGreaterThan(0);
    }
    expect(answered, answered.join("\n")).toEqual([]);
    expect(await fingerprint()).toBe(before);
  }, 120_000);

  it("says why it refuses: forecasts, other data, changes", async () => {
    expect((await ask("What will revenue be next year?")).answer).toMatch(/does not forecast/);
    expect((await ask("how many employees do we have")).answer).toMatch(/holds sales only/);
    expect((await ask("delete the sales table")).answer).toMatch(/never changes data/);
  });
});

describe("requests", () => {
  it("needs the viewer token", async () => {
    expect((await post({ question: "revenue yesterday" }, "")).status).toBe(401);
    expect((await post({ question: "revenue yesterday" }, "wrong")).status).toBe(401);
    expect(
      (await post({ question: "revenue yesterday", today: "2058-11-26" }, TEST_VIEWER_TOKEN)).status,
    ).toBe(200);
  });

  it("answers a malformed request with 400 and what to fix", async () => {
    const cases: [unknown, string, RegExp][] = [
      ["{not json", "malformed_json", /JSON body/],
      [{}, "invalid_question", /question/],
      [{ question: "" }, "invalid_question", /must not be empty/],
      [{ question: "   " }, "invalid_question", /must not be empty/],
      [{ question: "x".repeat(501) }, "invalid_question", /at most 500/],
      [{ question: 42 }, "invalid_question", /must be a string/],
      [{ question: "revenue", today: "2058-02-30" }, "invalid_question", /calendar date/],
      [{ question: "revenue", extra: 1 }, "invalid_question", /extra/],
    ];
    for (const [body, code, message] of cases) {
      const response = await post(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      const json = (await response.json()) as { error: { code: string; message: string } };
      expect(json.error.code).toBe(code);
      expect(json.error.message).toMatch(message);
    }
  });
});

describe("daily briefing", () => {
  interface BriefingBody {
    date: string;
    text: string;
    figures: {
      metric: string;
      value: number;
      previous_day: number;
      week_ago: number;
      change_pct_vs_previous_day: number | null;
    }[];
    drivers: { dimension: string; member: string; change: number }[];
    flags: { volatility_flag: string; performance_flag: string; is_anomaly: boolean } | null;
    sources: string[];
  }
  const briefing = async (query: string) => {
    const response = await exports.default.fetch(`http://pulse.test/api/v1/insights/daily${query}`, {
      headers: { authorization: `Bearer ${TEST_VIEWER_TOKEN}` },
    });
    return {
      status: response.status,
      body: (await response.json()) as BriefingBody & { error?: { code: string } },
    };
  };

  it("says what moved on a day and why, with the engine's numbers", async () => {
    const date = "2058-11-12";
    const { status, body } = await briefing(`?date=${date}`);
    expect(status).toBe(200);
    const day = { from: date, to: date };
    const dayBefore = { from: "2058-11-11", to: "2058-11-11" };
    for (const f of body.figures) {
      close(f.value, ref.metric(f.metric, day), `${f.metric}`);
      close(f.previous_day, ref.metric(f.metric, dayBefore), `${f.metric} before`);
      close(
        f.week_ago,
        ref.metric(f.metric, { from: "2058-11-05", to: "2058-11-05" }),
        `${f.metric} week ago`,
      );
    }
    const flags = ref.flags(day)[0]!;
    expect(body.flags).toMatchObject({
      volatility_flag: flags.volatility,
      performance_flag: flags.performance,
      is_anomaly: flags.anomaly,
    });
    // The spike was one APAC sale of Falcon Laptops: it leads the region and product drivers.
    expect(body.drivers.find((d) => d.dimension === "region")?.member).toBe("APAC");
    expect(body.drivers.find((d) => d.dimension === "product")?.member).toBe("ask-p06");
    const apac = body.drivers.find((d) => d.dimension === "region")!;
    close(
      apac.change,
      ref.metric("revenue", day, { region: "APAC" })! - ref.metric("revenue", dayBefore, { region: "APAC" })!,
      "APAC change",
    );
    expect(body.text).toMatch(/^On Tuesday 2058-11-12 revenue was \$[\d,.]+, up [\d,.]+ % on the day before/);
    expect(body.text).toContain("Anomaly:");
    expect(body.text).toContain("Falcon Laptop");
    expect(body.sources[0]).toBe(
      `/api/v1/query?metrics=revenue,orders,unique_customers,avg_order_value&grain=range&from=${date}&to=${date}&compare=previous_period`.replace(
        /,/g,
        "%2C",
      ),
    );
  });

  it("rejects a bad date or parameter", async () => {
    expect((await briefing("?date=2058-02-30")).body.error?.code).toBe("invalid_date");
    expect((await briefing("?day=2058-02-03")).body.error?.code).toBe("unknown_parameter");
    expect((await briefing("")).status).toBe(200);
  });
});
