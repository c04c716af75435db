/**
 * Adding a measure is one registry entry plus its columns: in this test build the registry has one
 * more additive measure, `discount` (see testing/measure-list-with-discount.ts), and nothing else
 * was written for it. A signed webhook's sales must reach the rollups, the query API (from the
 * slices and from silver), the live room's frames and the page's state — and a deleted sale must
 * take its contribution back out.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { deleteEvent, saleEvent } from "../../test/support/events.ts";
import { initialView, step } from "../../web/src/lib/kpi-state.ts";
import type { Delta } from "../live/protocol.ts";
import { liveRoom } from "../live/room-stub.ts";
import { connect, member, today } from "../live/test-room.ts";
import { createSource, eventually, postSigned, query } from "../test-support.ts";
import { ADDITIVE_MEASURES } from "./measures.ts";
import { rowsOf, viewer } from "./testing/history.ts";
import { DISCOUNT_MIGRATION } from "./testing/measure-list-with-discount.ts";

/** The new measure's value in an object typed by the real registry (which lacks it). */
const discount = (x: object) => (x as Record<string, unknown>).discount;

beforeAll(async () => {
  for (const statement of DISCOUNT_MIGRATION) await query(statement);
});

describe("a measure added to the registry", () => {
  it("is in the build's registry", () => {
    expect(ADDITIVE_MEASURES.map((m) => m.name)).toContain("discount");
  });

  it("flows webhook → rollups → API → live room → page state, and out again on a delete", async () => {
    const region = member("DISC");
    const source = await createSource("measure");
    const client = await connect(liveRoom(env));
    const watch = { filter: { region }, minutes: 60, days: 1 };
    const snapshot = await client.subscribe(watch);
    expect(snapshot.type).toBe("snapshot");
    expect(discount(snapshot.tiles)).toBe(0);
    expect(discount(snapshot.minutes)).toEqual([]);

    const kept = saleEvent({ region, quantity: 2, unitPrice: 10, discount: 1.25 });
    const dropped = saleEvent({ region, quantity: 1, unitPrice: 10, discount: 0.5 });
    for (const event of [kept, dropped]) {
      expect((await postSigned(source, JSON.stringify(event))).status).toBe(202);
    }

    // Rollups: the fact table and both slice grains.
    const slices = () =>
      query<{ day: string; minute: string; fact: string }>(
        `SELECT (SELECT discount::text FROM kpi_day_slice WHERE dim = 'region' AND member = $1 AND day = $2) AS day,
                (SELECT sum(discount)::text FROM kpi_minute_slice WHERE dim = 'region' AND member = $1) AS minute,
                (SELECT sum(f.discount)::text FROM fact_sales_summary f JOIN dim_region r USING (region_key)
                  WHERE r.region_code = $1) AS fact`,
        [region, today()],
      );
    const [rolled] = await eventually(slices, (r) => r[0]?.day === "1.75");
    expect(rolled).toEqual({ day: "1.75", minute: "1.75", fact: "1.75" });

    // The query API, from the slices (one filter) and from silver (two filters).
    const range = `from=${today()}&to=${today()}&metrics=discount,revenue&grain=day&region=${region}`;
    for (const path of [`/api/v1/query?${range}`, `/api/v1/query?${range}&category=Unknown`]) {
      const response = await viewer(path, { "cache-control": "no-cache" });
      expect(response.status, await response.clone().text()).toBe(200);
      expect(rowsOf(await response.json())).toMatchObject([{ discount: 1.75, revenue: 30 }]);
    }

    // The live room's delta frame, and the page's state fed the same frames.
    const delta = await client.next<Delta>((m) => m.type === "delta" && discount(m.tiles) === 1.75);
    expect(delta.minutes.orders.reduce((a, b) => a + b, 0)).toBe(2);
    expect(discount(delta.minutes)).toEqual([1.75]);
    // The page's state, fed every frame the room sent (as the page's socket would).
    let view = initialView(watch);
    const feed = () => {
      for (const frame of client.frames.filter((f) => f.type === "snapshot" || f.type === "delta"))
        view = step(view, { type: "frame", frame, at: Date.now() }).view;
    };
    feed();
    expect(discount(view.tiles!)).toBe(1.75);
    expect(discount(view.minutes)).toEqual([1.75]);
    expect(discount(view.days)).toEqual([1.75]);

    // A delete takes the sale's contribution back out everywhere.
    await postSigned(source, JSON.stringify(deleteEvent(dropped.payload.sale_id)));
    const [after] = await eventually(slices, (r) => r[0]?.day === "1.25");
    expect(after).toEqual({ day: "1.25", minute: "1.25", fact: "1.25" });
    await client.next<Delta>((m) => m.type === "delta" && discount(m.tiles) === 1.25);
    feed();
    expect(discount(view.tiles!)).toBe(1.25);
    expect(view.tiles!.orders).toBe(1);
  });
});
