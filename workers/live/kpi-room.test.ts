import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { TEST_VIEWER_TOKEN } from "../../test/support/tokens.ts";
import { daysBefore, type LiveBuckets, minuteOf } from "./buckets.ts";
import { COALESCE_MS, coalesceWindow, MIN_COALESCE_MS } from "./fan-out.ts";
import type { KpiRoom } from "./kpi-room.ts";
import { type Delta, PING_FRAME, type Snapshot } from "./protocol.ts";
import type { LiveUpdate } from "./rules.ts";
import { connect, dayBucket, isolatedRoom, member, minuteBucket, sleep, stamp, today } from "./test-room.ts";

const isDelta = (m: { type: string }) => m.type === "delta";

describe("KpiRoom", () => {
  it("refuses a connection without a valid token, and accepts one with it", async () => {
    const refused = await exports.default.fetch("http://pulse.test/api/v1/live?token=wrong", {
      headers: { Upgrade: "websocket" },
    });
    expect(refused.status).toBe(401);
    const client = await connect(
      await exports.default.fetch(`http://pulse.test/api/v1/live?token=${TEST_VIEWER_TOKEN}`, {
        headers: { Upgrade: "websocket" },
      }),
    );
    expect(await client.subscribe()).toMatchObject({ type: "snapshot", today: today(), filter: {} });
    client.close();
  });

  it("answers a subscription with a snapshot, then sends deltas of what changed", async () => {
    const room = isolatedRoom();
    const region = member("EMEA");
    const earlier = Date.now() - 5 * 60_000;
    await room.apply({ minutes: [minuteBucket("region", region, 2, 20, earlier)], days: [] });

    const client = await connect(room);
    const snapshot = await client.subscribe<Snapshot>({ filter: { region }, minutes: 60, days: 7 });
    expect(snapshot).toMatchObject({
      type: "snapshot",
      filter: { region },
      today: today(),
      tiles: { orders: 0, revenue: 0 },
      minutes: { t: [minuteOf(earlier)], orders: [2], revenue: [20] },
    });
    expect(snapshot.epoch).not.toBe("");

    await room.apply({
      minutes: [minuteBucket("region", region, 3, 31.5)],
      days: [dayBucket("region", region, 5, 51.5)],
    });
    const delta = await client.next<Delta>(isDelta);
    expect(delta.seq).toBeGreaterThan(snapshot.seq);
    expect(delta.prev_seq).toBeLessThanOrEqual(snapshot.seq);
    // Only the changed buckets travel, with their absolute values.
    expect(delta).toMatchObject({
      tiles: { orders: 5, revenue: 51.5, unique_customers: 5, median_order_value: 10.3 },
      minutes: { t: [minuteOf(Date.now())], orders: [3], revenue: [31.5] },
      days: { day: [today()], orders: [5] },
    });
    client.close();
  });

  it("coalesces a burst of updates into at most one frame per window, 20 ms for one dashboard", async () => {
    const room = isolatedRoom();
    const region = member("EMEA");
    const client = await connect(room);
    const snapshot = await client.subscribe({ filter: { region } });
    await sleep(COALESCE_MS + 20); // the subscription's hydration flushed; start a fresh window

    for (let i = 1; i <= 20; i++)
      await room.apply({ minutes: [], days: [dayBucket("region", region, i, i * 10)] });
    await client.next((m) => isDelta(m) && m.type === "delta" && m.tiles.orders === 20);
    await sleep(3 * COALESCE_MS);

    const deltas = client.deltas(snapshot.seq);
    expect(deltas.length).toBeLessThan(20);
    expect(deltas.at(-1)?.tiles).toMatchObject({ orders: 20, revenue: 200 });
    for (let i = 1; i < deltas.length; i++) {
      expect(Date.parse(deltas[i]!.as_of) - Date.parse(deltas[i - 1]!.as_of)).toBeGreaterThanOrEqual(
        coalesceWindow(1),
      );
    }
    client.close();
  });

  it("widens the coalescing window with the sockets, up to 100 ms from 250 of them", () => {
    expect([0, 1, 50, 51, 125, 250, 5_000].map(coalesceWindow)).toEqual([
      MIN_COALESCE_MS,
      MIN_COALESCE_MS,
      MIN_COALESCE_MS,
      21,
      50,
      COALESCE_MS,
      COALESCE_MS,
    ]);
  });

  it("sends a subscriber only its filter's changes: EMEA gets no APAC deltas", async () => {
    const room = isolatedRoom();
    const emea = member("EMEA");
    const apac = member("APAC");
    const emeaClient = await connect(room);
    const apacClient = await connect(room);
    const everything = await connect(room);
    const emeaSnapshot = await emeaClient.subscribe({ filter: { region: emea } });
    await apacClient.subscribe({ filter: { region: apac } });
    await everything.subscribe();

    await room.apply({
      minutes: [minuteBucket("region", apac, 4, 40)],
      days: [dayBucket("region", apac, 4, 40)],
    });
    expect(await apacClient.next(isDelta)).toMatchObject({ tiles: { orders: 4, revenue: 40 } });
    await sleep(3 * COALESCE_MS);
    expect(emeaClient.deltas(emeaSnapshot.seq)).toEqual([]);

    await room.apply({
      minutes: [minuteBucket("region", emea, 1, 9)],
      days: [dayBucket("region", emea, 1, 9)],
    });
    const emeaDelta = await emeaClient.next<Delta>(isDelta);
    expect(emeaDelta).toMatchObject({
      tiles: { orders: 1, revenue: 9 },
      minutes: { orders: [1], revenue: [9] },
    });
    expect(emeaClient.deltas(emeaSnapshot.seq)).toHaveLength(1);
    // The whole-business subscriber's slice did not change either.
    expect(everything.deltas()).toEqual([]);

    // A filter takes one dimension; another dimension's slice is separate.
    const segment = await connect(room);
    expect(await segment.subscribe({ filter: { segment: emea } })).toMatchObject({ tiles: { orders: 0 } });
    for (const c of [emeaClient, apacClient, everything, segment]) c.close();
  });

  it("resyncs a client that missed a sequence number with exactly what it missed", async () => {
    const room = isolatedRoom();
    const region = member("EMEA");
    const client = await connect(room);
    const snapshot = await client.subscribe<Snapshot>({ filter: { region }, days: 3 });
    const yesterday = daysBefore(today(), 1);

    await room.apply({ minutes: [], days: [dayBucket("region", region, 1, 10, yesterday)] });
    const first = await client.next<Delta>(isDelta);
    // The client says it never got `first`: the answer holds the buckets changed since its seq.
    const from = client.frames.length;
    client.send({ type: "resync", last_seq: snapshot.seq });
    const resync = await client.next<Delta>(isDelta, from);
    expect(resync).toMatchObject({
      prev_seq: snapshot.seq,
      seq: first.seq,
      days: { day: [yesterday], orders: [1] },
    });

    // Disconnected while two more updates happen; a new socket resumes from the last seq it saw.
    client.close();
    await room.apply({ minutes: [], days: [dayBucket("region", region, 2, 20)] });
    await room.apply({ minutes: [], days: [dayBucket("region", region, 3, 30)] });
    const back = await connect(room);
    const resumed = await back.subscribe({
      filter: { region },
      days: 3,
      resume: { epoch: snapshot.epoch, seq: first.seq },
    });
    expect(resumed).toMatchObject({ type: "delta", prev_seq: first.seq, tiles: { orders: 3 } });
    // Yesterday's bucket did not change after `first.seq`, so it is not sent again.
    expect(resumed.type === "delta" && resumed.days.day).toEqual([today()]);

    // A sequence number from another epoch (storage reset) or from the future gets a snapshot.
    const stranger = await connect(room);
    expect(
      await stranger.subscribe({ filter: { region }, resume: { epoch: "another-epoch", seq: 1 } }),
    ).toMatchObject({ type: "snapshot", tiles: { orders: 3 } });
    const from2 = stranger.frames.length;
    stranger.send({ type: "resync", last_seq: 1_000_000 });
    expect(await stranger.next((m) => m.type === "snapshot", from2)).toMatchObject({ tiles: { orders: 3 } });
    back.close();
    stranger.close();
  });

  it("rebuilds from its own storage after eviction, sequence numbers included", async () => {
    const room = isolatedRoom();
    const region = member("EMEA");
    const first = await connect(room);
    await first.subscribe(); // the room fills itself from Postgres once
    first.close();
    await room.apply({
      minutes: [minuteBucket("region", region, 9, 321)],
      days: [dayBucket("region", region, 9, 321)],
    });
    const before = await room.view({ filter: { region }, minutes: 60, days: 7 });

    await evictDurableObject(room);
    const after = await room.view({ filter: { region }, minutes: 60, days: 7 });
    expect({ ...after, as_of: "" }).toEqual({ ...before, as_of: "" });

    const client = await connect(room);
    expect(await client.subscribe({ filter: { region } })).toMatchObject({
      type: "snapshot",
      seq: before.seq,
      epoch: before.epoch,
      tiles: { orders: 9, revenue: 321 },
    });
    await room.apply({ minutes: [], days: [dayBucket("region", region, 10, 330)] });
    expect(await client.next(isDelta)).toMatchObject({ seq: before.seq + 1, tiles: { orders: 10 } });
    client.close();
  });

  it("answers malformed frames with an error frame while other clients keep receiving", async () => {
    const room = isolatedRoom();
    const region = member("EMEA");
    const rude = await connect(room);
    const polite = await connect(room);
    await polite.subscribe({ filter: { region } });

    const errors = [
      ["{not json", "malformed_message"],
      [JSON.stringify({ type: "subscribe-to-everything" }), "invalid_message"],
      [JSON.stringify({ type: "subscribe", filter: { region: "A", segment: "B" } }), "invalid_message"],
      [JSON.stringify({ type: "subscribe", filter: { sales_rep: "r-1" } }), "invalid_message"],
      [JSON.stringify({ type: "subscribe", minutes: 100_000 }), "invalid_message"],
      [JSON.stringify({ type: "resync", last_seq: 1 }), "not_subscribed"],
      ["x".repeat(10_000), "message_too_large"],
    ] as const;
    for (const [text, code] of errors) {
      const from = rude.frames.length;
      rude.send(text);
      expect(await rude.next((m) => m.type === "error", from)).toMatchObject({ code });
    }
    rude.ws.send(new Uint8Array([1, 2, 3]));
    expect(await rude.next((m) => m.type === "error" && m.code === "malformed_message", 0)).toBeTruthy();

    await room.apply({ minutes: [], days: [dayBucket("region", region, 7, 77)] });
    expect(await polite.next(isDelta)).toMatchObject({ tiles: { revenue: 77 } });
    // The rude client is still connected and can subscribe properly.
    expect(await rude.subscribe({ filter: { region } })).toMatchObject({
      type: "snapshot",
      tiles: { revenue: 77 },
    });
    rude.close();
    polite.close();
  });

  it("answers pings without a subscription (the runtime's auto-response)", async () => {
    const client = await connect(isolatedRoom());
    client.send(PING_FRAME);
    expect(await client.next((m) => m.type === "pong")).toEqual({ type: "pong" });
    client.send(JSON.stringify({ type: "ping" }, null, 1)); // not verbatim: the room itself answers
    await client.next((m) => m.type === "pong", 1);
    client.close();
  });

  it("ignores a redelivered or older update: no new sequence number, no frame, no rollback", async () => {
    const room = isolatedRoom();
    const region = member("EMEA");
    const client = await connect(room);
    const snapshot = await client.subscribe({ filter: { region } });
    const update: LiveBuckets = {
      minutes: [minuteBucket("region", region, 5, 50)],
      days: [dayBucket("region", region, 5, 50)],
    };
    const first = await room.apply(update);
    expect(first.applied).toBe(2);
    await client.next(isDelta);

    expect(await room.apply(update)).toEqual({ applied: 0, seq: first.seq });
    const older: LiveBuckets = {
      minutes: [],
      days: [{ ...dayBucket("region", region, 1, 1), updatedAt: "2998-01-01T00:00:00.000000Z" }],
    };
    expect(await room.apply(older)).toEqual({ applied: 0, seq: first.seq });
    // A newer write time with the same values stores the time but changes nothing a client sees.
    const restamped = { minutes: [], days: [{ ...update.days[0]!, updatedAt: stamp() }] };
    expect(await room.apply(restamped)).toEqual({ applied: 0, seq: first.seq });

    await sleep(3 * COALESCE_MS);
    expect(client.deltas(snapshot.seq)).toHaveLength(1);
    expect((await room.view({ filter: { region } })).tiles).toMatchObject({ orders: 5, revenue: 50 });
    client.close();
  });

  it("corrects and reports drift found by the reconciliation", async () => {
    const room = isolatedRoom();
    const region = member("EMEA");
    const now = Date.now();
    const window = {
      fromMinute: minuteOf(now) - 3600,
      fromDay: daysBefore(today(), 1),
      minutes: [],
      days: [],
    };
    // Reconciled with an empty Postgres first, so the room does not fill itself from the test run's
    // database (whose buckets this test's window would call drift).
    expect(await room.reconcile({ ...window, readAt: stamp() })).toMatchObject({ drifted: 0, checked: 0 });
    const held = minuteBucket("region", region, 1, 10, now - 120_000);
    const onlyInRoom = {
      ...minuteBucket("region", region, 2, 20, now - 60_000),
      updatedAt: "2001-01-01T00:00:00.000000Z",
    };
    await room.apply({ minutes: [held, onlyInRoom], days: [] });
    const client = await connect(room);
    const snapshot = await client.subscribe({ filter: { region }, days: 0 });

    const truth = { ...held, orders: 3, revenue: 30, updatedAt: stamp() };
    const missing = dayBucket("region", region, 3, 30);
    // Read well after those writes: a change younger than a minute may still be on its way.
    const readAt = "2999-01-01T01:00:00.000000Z";
    const report = await room.reconcile({ ...window, readAt, minutes: [truth], days: [missing] });
    expect(report).toMatchObject({ drifted: 3, checked: 2 });
    expect(report.examples.map((d) => d.kind).sort()).toEqual(["differs", "extra", "missing"]);

    const delta = await client.next<Delta>((m) => isDelta(m) && m.type === "delta" && m.seq > snapshot.seq);
    expect(delta.tiles).toMatchObject({ orders: 3, revenue: 30 });
    expect(delta.minutes).toMatchObject({ t: [held.minute, onlyInRoom.minute], orders: [3, 0] });
    expect((await room.status()).last_reconcile).toMatchObject({ drifted: 3 });

    // Nothing left to correct (a zeroed bucket is as good as none).
    expect(await room.reconcile({ ...window, readAt, minutes: [truth], days: [missing] })).toMatchObject({
      drifted: 0,
    });
    client.close();
  });

  it("calls the alert seam on every update that changed something, and survives it failing", async () => {
    const room = isolatedRoom();
    const region = member("EMEA");
    const seen: { update: LiveUpdate; orders: number }[] = [];
    await runInDurableObject(room, (instance: KpiRoom) => {
      instance.rules = {
        evaluate(update, reader) {
          if (!update.changed.days.some((d) => d.member === region)) return; // the room filling itself
          seen.push({ update, orders: reader.tiles({ dim: "region", member: region }, update.today).orders });
          throw new Error("a broken rule");
        },
      };
    });
    const client = await connect(room);
    await client.subscribe({ filter: { region } });
    const update = { minutes: [], days: [dayBucket("region", region, 2, 22)] };
    expect(await room.apply(update)).toMatchObject({ applied: 1 });
    await room.apply(update);
    expect(await client.next(isDelta)).toMatchObject({ tiles: { orders: 2 } });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.update.changed.days).toEqual(update.days);
    expect(seen[0]?.orders).toBe(2); // the evaluator reads the room as updated
    client.close();
  });
});
