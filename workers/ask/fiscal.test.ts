/**
 * Questions resolve fiscal quarters with the model's start month; the fiscal-quarter grain reads
 * `dim_time`. The two must name the same days.
 */
import { expect, it } from "vitest";
import { query } from "../test-support.ts";
import { fiscalQuarter } from "./calendar.ts";

it("resolves fiscal quarters to the days dim_time gives them", async () => {
  for (const [fy, q] of [
    [2026, 1],
    [2026, 3],
    [2027, 4],
    [2058, 3],
  ] as const) {
    const [row] = await query<{ from: string; to: string }>(
      `SELECT min(date)::text AS "from", max(date)::text AS "to" FROM dim_time WHERE fiscal_year = $1 AND fiscal_quarter = $2`,
      [fy, q],
    );
    expect(fiscalQuarter(fy, q), `Q${q} FY${fy}`).toEqual(row);
  }
});
