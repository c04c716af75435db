/** The page's socket policy: reconnect delays, the heartbeat's dead-socket rule, the tab key. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { PING_FRAME } from "../../../workers/live/protocol.ts";
import { liveUrl, PING_EVERY_MS, reconnectOptions, startHeartbeat, tabKey } from "./live-socket.ts";

afterEach(() => {
  vi.useRealTimers();
});

describe("reconnectOptions", () => {
  it("starts at 250 ms plus jitter and caps at 5 s, drawing new jitter on every read", () => {
    const options = reconnectOptions();
    const firsts = Array.from({ length: 50 }, () => options.minReconnectionDelay!);
    expect(Math.min(...firsts)).toBeGreaterThanOrEqual(250);
    expect(Math.max(...firsts)).toBeLessThanOrEqual(500);
    expect(new Set(firsts).size).toBeGreaterThan(1);
    const caps = Array.from({ length: 50 }, () => options.maxReconnectionDelay!);
    expect(Math.max(...caps)).toBeLessThanOrEqual(5000);
  });
});

describe("startHeartbeat", () => {
  function socket() {
    return { readyState: 1, send: vi.fn(), reconnect: vi.fn() };
  }

  it("pings, and reconnects when a ping stays unanswered", () => {
    vi.useFakeTimers();
    const s = socket();
    const beat = startHeartbeat(s);
    vi.advanceTimersByTime(PING_EVERY_MS);
    expect(s.send).toHaveBeenCalledWith(PING_FRAME);
    vi.advanceTimersByTime(PING_EVERY_MS);
    expect(s.reconnect).toHaveBeenCalledTimes(1);
    beat.stop();
  });

  it("keeps a socket that answers", () => {
    vi.useFakeTimers();
    const s = socket();
    const beat = startHeartbeat(s);
    for (let i = 0; i < 5; i++) {
      vi.advanceTimersByTime(PING_EVERY_MS);
      beat.heard();
    }
    expect(s.send).toHaveBeenCalledTimes(5);
    expect(s.reconnect).not.toHaveBeenCalled();
    beat.stop();
  });
});

describe("tabKey and liveUrl", () => {
  it("keeps one key per tab and puts it in the socket's address", () => {
    const store = new Map<string, string>();
    const storage = {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
    };
    const key = tabKey(storage);
    expect(tabKey(storage)).toBe(key);
    expect(liveUrl({ protocol: "https:", host: "pulse.example" }, key)).toBe(
      `wss://pulse.example/api/v1/live?client=${key}`,
    );
  });
});
