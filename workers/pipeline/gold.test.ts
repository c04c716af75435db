/**
 * Gold behaviours a star schema must get right: SCD type 2 customers (facts keep the version valid
 * at sale time), late-arriving customers (inferred members completed in place), and bronze landing
 * in a month nobody created a partition for.
 */
import { describe, expect, it } from "vitest";
import { customerEvent, saleEvent } from "../../test/support/events.ts";
import { createSource, eventually, postSigned, query, unusedPastDay } from "../test-support.ts";

async function segmentRevenue(day: string) {
  return query<{ member: string; revenue: string; orders: number }>(
    "SELECT member, revenue::text, orders FROM kpi_day_slice WHERE dim = 'segment' AND day = $1 AND orders > 0 ORDER BY member",
    [day],
  );
}

describe("gold", () => {
  it("opens a new customer version on a segment change; earlier sales keep the old one", async () => {
    const source = await createSource();
    const day = await unusedPastDay();
    const customer = `c-${crypto.randomUUID()}`;
    const t = (hour: number) => `${day}T${String(hour).padStart(2, "0")}:00:00Z`;
    await postSigned(source, JSON.stringify(customerEvent(customer, "SMB", t(1))));
    await postSigned(
      source,
      JSON.stringify(
        saleEvent({
          customerId: customer,
          saleTimestamp: t(9),
          eventTimestamp: t(9),
          quantity: 1,
          unitPrice: 100,
        }),
      ),
    );
    await eventually(
      () => segmentRevenue(day),
      (r) => r.length === 1,
    );
    await postSigned(source, JSON.stringify(customerEvent(customer, "Enterprise", t(12), "UPDATE")));
    await postSigned(
      source,
      JSON.stringify(
        saleEvent({
          customerId: customer,
          saleTimestamp: t(15),
          eventTimestamp: t(15),
          quantity: 1,
          unitPrice: 40,
        }),
      ),
    );

    const slices = await eventually(
      () => segmentRevenue(day),
      (r) => r.length === 2,
    );
    expect(slices).toEqual([
      { member: "Enterprise", revenue: "40.00", orders: 1 },
      { member: "SMB", revenue: "100.00", orders: 1 },
    ]);
    const versions = await query<{ customer_segment: string; is_current: boolean; facts: number }>(
      `SELECT d.customer_segment, d.is_current,
              (SELECT count(*)::int FROM fact_sales_summary f WHERE f.customer_key = d.customer_key) AS facts
         FROM dim_customer d WHERE d.customer_id = $1 ORDER BY d.effective_from`,
      [customer],
    );
    expect(versions).toEqual([
      { customer_segment: "SMB", is_current: false, facts: 1 },
      { customer_segment: "Enterprise", is_current: true, facts: 1 },
    ]);
  });

  it("completes an inferred customer in place when its record arrives after its sales", async () => {
    const source = await createSource();
    const day = await unusedPastDay();
    const customer = `c-${crypto.randomUUID()}`;
    await postSigned(
      source,
      JSON.stringify(saleEvent({ customerId: customer, saleTimestamp: `${day}T10:00:00Z`, unitPrice: 25 })),
    );
    const early = await eventually(
      () => segmentRevenue(day),
      (r) => r.length === 1,
    );
    expect(early).toEqual([{ member: "Unknown", revenue: "25.00", orders: 1 }]);
    expect(
      await query("SELECT data_quality_issues FROM silver_sales_clean WHERE customer_id = $1", [customer]),
    ).toEqual([{ data_quality_issues: expect.arrayContaining(["unknown_customer"]) }]);

    await postSigned(source, JSON.stringify(customerEvent(customer, "Consumer", `${day}T11:00:00Z`)));
    const late = await eventually(
      () => segmentRevenue(day),
      (r) => r[0]?.member === "Consumer",
    );
    expect(late).toEqual([{ member: "Consumer", revenue: "25.00", orders: 1 }]);
    expect(
      await query(
        "SELECT count(*)::int AS n, bool_or(is_inferred) AS inferred FROM dim_customer WHERE customer_id = $1",
        [customer],
      ),
    ).toEqual([{ n: 1, inferred: false }]);
  });

  it("lands an event for a month without a partition, and moves it when the partition is made", async () => {
    const source = await createSource();
    const old = saleEvent({ eventTimestamp: "1999-03-14T12:00:00Z", saleTimestamp: "1999-03-14T11:00:00Z" });
    await postSigned(source, JSON.stringify(old));
    const where = () =>
      query<{ part: string }>(
        "SELECT tableoid::regclass::text AS part FROM bronze_sales_events WHERE raw_payload -> 'payload' ->> 'sale_id' = $1",
        [old.payload.sale_id],
      );
    expect(await eventually(where, (r) => r.length === 1)).toEqual([{ part: "bronze_sales_events_default" }]);
    await query("SELECT ensure_monthly_partitions('bronze_sales_events', '1999-03-01', 1)");
    expect(await where()).toEqual([{ part: "bronze_sales_events_1999_03" }]);
  });
});
