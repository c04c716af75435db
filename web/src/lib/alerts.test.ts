import { describe, expect, it } from "vitest";
import { bannerText, dayMarkers, duration, type Incident, markersIn, ordered, sliceLabel } from "./alerts.ts";

function incident(
  id: string,
  slice: string,
  started: string,
  ended: string | null,
  name = "Revenue is unusual",
): Incident {
  return {
    alert_id: id,
    rule_id: "r",
    slice,
    status: ended ? "resolved" : "firing",
    started_at: started,
    ended_at: ended,
    acknowledged_at: null,
    detail: { rule: { id: "r", name }, metric: "revenue" },
    timeline: [],
  };
}

const s = (iso: string) => Date.parse(iso) / 1000;

describe("alerts on the dashboard", () => {
  const a = incident("a", "all|", "2030-02-12T10:00:00Z", null);
  const b = incident("b", "region|EMEA", "2030-02-12T09:00:00Z", "2030-02-12T09:20:00Z", "Orders");
  const c = incident("c", "region|APAC", "2030-02-12T08:00:00Z", null, "APAC orders");
  const d = incident("d", "region|NA", "2030-02-11T08:00:00Z", "2030-02-11T09:00:00Z");

  it("names slices as people say them", () => {
    expect(sliceLabel("all|")).toBe("whole business");
    expect(sliceLabel("region|EMEA")).toBe("region EMEA");
    expect(sliceLabel("category|Home|Garden")).toBe("category Home|Garden");
  });

  it("puts what fires first (longest-running on top), then the rest newest first", () => {
    const { firing, recent } = ordered([d, a, b, c]);
    expect(firing.map((i) => i.alert_id)).toEqual(["c", "a"]);
    expect(recent.map((i) => i.alert_id)).toEqual(["b", "d"]);
  });

  it("says what fires in the banner, or nothing", () => {
    expect(bannerText([])).toBeNull();
    expect(bannerText([c])).toBe("Alert firing: APAC orders (region APAC)");
    expect(bannerText([c, a])).toBe("Alert firing: APAC orders (region APAC) and 1 more");
  });

  it("marks starts and ends inside the chart's range, for the slice on screen and the whole business", () => {
    const all = markersIn([a, b, c, d], s("2030-02-12T00:00:00Z"), s("2030-02-13T00:00:00Z"));
    expect(all.map((m) => `${m.alertId}:${m.kind}`)).toEqual(["c:start", "b:start", "b:end", "a:start"]);
    const emea = markersIn([a, b, c, d], 0, s("2031-01-01T00:00:00Z"), { dim: "region", member: "EMEA" });
    expect(emea.map((m) => `${m.alertId}:${m.kind}`)).toEqual(["b:start", "b:end", "a:start"]);
    const days = dayMarkers(emea, (t) => Math.floor(t / 86_400) * 86_400);
    expect(new Set(days.map((m) => m.t))).toEqual(new Set([s("2030-02-12T00:00:00Z")]));
  });

  it("says how long", () => {
    expect(duration(3 * 60_000)).toBe("3 min");
    expect(duration(80 * 60_000)).toBe("1 h 20 min");
    expect(duration(52 * 3_600_000)).toBe("2 d 4 h");
  });
});
