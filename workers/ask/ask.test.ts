/**
 * `POST /api/v1/ask` over a generated dataset loaded through the pipeline: every question of the
 * test set gets the interpretation written by hand beside it and the numbers computed straight from
 * the generated sales (`testing/reference.ts`), equal to what the KPI endpoint it cites returns;
 * every unanswerable or adversarial question is refused or clarified without a number; no question
 * changes data; malformed requests get a 4xx that says what to fix.
 */
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { TEST_VIEWER_TOKEN } from "../../test/support/tokens.ts";
import { withDb } from "../db/client.ts";
import { Engine } from "./engine.ts";
import { ask, fingerprint, post, rows, viewerGet } from "./testing/client.ts";
import { generateSales, loadDataset, type Sale, TODAY } from "./testing/dataset.ts";
import { checkInterpretation, close, numberChecks } from "./testing/expectations.ts";
import { ANSWERED } from "./testing/questions.ts";
import { Reference } from "./testing/reference.ts";
import { UNANSWERED } from "./testing/unanswerable.ts";

let sales: Sale[];
let ref: Reference;
let before: string;
let checkNumbers: ReturnType<typeof numberChecks>;

beforeAll(async () => {
  sales = generateSales();
  ref = new Reference(sales);
  checkNumbers = numberChecks(sales, ref);
  await loadDataset(sales);
  before = await fingerprint();
}, 180_000);

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

  it("reads a breakdown page by page as the endpoint pages it, computing the members once", async () => {
    // Why-questions and shares read every page; the engine cuts the pages from one computation.
    const ctx = { timeZone: "UTC", currency: "USD", today: TODAY };
    const params = { metric: "revenue", by: "product", from: "2058-10-01", to: TODAY, limit: "5" };
    let silverReads = 0;
    const pages = await withDb(env, async (db) => {
      const counting = new Proxy(db, {
        get(target, property) {
          if (property === "query")
            return (text: string, values?: unknown[]) => {
              if (/silver_sales_clean/.test(text)) silverReads++;
              return target.query(text, values);
            };
          const value = Reflect.get(target, property, target);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
      const engine = new Engine(counting, ctx);
      const out = [];
      for (const offset of ["0", "5", "10", "40"])
        out.push(await engine.run("breakdown", { ...params, offset }, { everyPage: true }));
      return out;
    });
    expect(pages[0]!.table.data[0]!.length).toBe(5);
    expect(silverReads).toBe(1);
    for (const call of pages) {
      const api = (await viewerGet(call.endpoint)) as unknown as {
        data: unknown[][];
        meta: Record<string, unknown>;
      };
      expect(call.table.data, call.endpoint).toEqual(api.data);
      for (const key of ["total", "next_offset", "limit", "offset"])
        expect(call.table.meta[key], `${call.endpoint} ${key}`).toEqual(api.meta[key]);
    }
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
      expect.arrayContaining(["North Atlantic", "North Africa"]),
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
