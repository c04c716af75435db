import { describe, expect, it } from "vitest";
import { deleteEvent, saleEvent } from "../../test/support/events.ts";
import { parseEvent, type SaleEvent } from "../ingest/events.ts";
import { type IncomingSaleEvent, resolveSales, type SaleState } from "./sales.ts";

function incoming(raw: unknown): IncomingSaleEvent {
  const parsed = parseEvent(raw);
  if (!parsed.ok) throw new Error(parsed.reasons.join("; "));
  return { event: parsed.event as SaleEvent, source: "test" };
}

const id = "6f1c6f8e-8a55-4c3e-9d7e-2b0c1f7a9e01";
const t = (minute: number) => new Date(Date.UTC(2026, 10, 25, 10, minute)).toISOString();

describe("resolveSales", () => {
  it("adds a new sale to its day", () => {
    const { changed, deltas } = resolveSales(
      new Map(),
      [incoming(saleEvent({ saleId: id, quantity: 3, unitPrice: 10, discount: 1.5, saleTimestamp: t(0) }))],
      "UTC",
    );
    expect(changed).toHaveLength(1);
    expect(deltas.get("2026-11-25")).toEqual({
      revenueCents: 3000,
      netRevenueCents: 2850,
      orders: 1,
      quantity: 3,
    });
  });

  it("lets the latest source time win whatever the arrival order, and keeps tombstones", () => {
    const insert = incoming(
      saleEvent({ saleId: id, quantity: 1, eventTimestamp: t(1), saleTimestamp: t(0) }),
    );
    const remove = incoming(deleteEvent(id, t(3)));
    const lateUpdate = incoming(
      saleEvent({ saleId: id, eventType: "UPDATE", quantity: 9, eventTimestamp: t(2), saleTimestamp: t(0) }),
    );
    const first = resolveSales(new Map(), [insert, remove, lateUpdate], "UTC");
    expect(first.changed[0]?.isDeleted).toBe(true);
    expect(first.deltas.get("2026-11-25") ?? { orders: 0 }).toMatchObject({ orders: 0 });

    const stored = new Map<string, SaleState>(first.changed.map((s) => [s.saleId, s]));
    const again = resolveSales(stored, [lateUpdate], "UTC");
    expect(again.changed).toHaveLength(0);
    expect(again.deltas.size).toBe(0);
  });

  it("moves a sale between days when an update changes its time, correcting both days", () => {
    const before = resolveSales(
      new Map(),
      [
        incoming(
          saleEvent({
            saleId: id,
            quantity: 2,
            unitPrice: 5,
            eventTimestamp: t(1),
            saleTimestamp: "2026-11-24T23:30:00Z",
          }),
        ),
      ],
      "UTC",
    );
    const stored = new Map(before.changed.map((s) => [s.saleId, s]));
    const moved = resolveSales(
      stored,
      [
        incoming(
          saleEvent({
            saleId: id,
            eventType: "UPDATE",
            quantity: 2,
            unitPrice: 5,
            eventTimestamp: t(2),
            saleTimestamp: "2026-11-25T00:30:00Z",
          }),
        ),
      ],
      "UTC",
    );
    expect(moved.deltas.get("2026-11-24")).toEqual({
      revenueCents: -1000,
      netRevenueCents: -1000,
      orders: -1,
      quantity: -2,
    });
    expect(moved.deltas.get("2026-11-25")).toEqual({
      revenueCents: 1000,
      netRevenueCents: 1000,
      orders: 1,
      quantity: 2,
    });
  });

  it("assigns the calendar day in the reporting timezone", () => {
    const { deltas } = resolveSales(
      new Map(),
      [incoming(saleEvent({ saleId: id, saleTimestamp: "2026-11-25T02:00:00Z" }))],
      "America/New_York",
    );
    expect([...deltas.keys()]).toEqual(["2026-11-24"]);
  });

  it("breaks a tie in source time in favour of the later-received event", () => {
    const a = incoming(saleEvent({ saleId: id, quantity: 1, eventTimestamp: t(5), saleTimestamp: t(0) }));
    const b = incoming(
      saleEvent({ saleId: id, eventType: "UPDATE", quantity: 4, eventTimestamp: t(5), saleTimestamp: t(0) }),
    );
    expect(resolveSales(new Map(), [a, b], "UTC").changed[0]?.quantity).toBe(4);
    expect(resolveSales(new Map(), [b, a], "UTC").changed[0]?.quantity).toBe(1);
  });
});
