/**
 * Instrumentation the dashboard bench injects into the page before any of the page's own scripts
 * run (`context.addInitScript(installProbe)`). It records, on the page's clock
 * (`performance.now()`, 0 = navigation start; `performance.timeOrigin` turns it into wall clock):
 *
 * - every change of `[data-testid="tile-revenue"]`'s `data-value` (a MutationObserver on the whole
 *   document, so a re-created element counts too) and the next requestAnimationFrame callback
 *   after it — the fallback frame time when the page records no `pulse:live-update` measures;
 * - the same for `[data-testid="live-chart"]`'s `data-latest`, on pages that have the chart;
 * - LCP candidates, long tasks and the page's `pulse:live-update` measures (buffered observers).
 *
 * The function is serialized into the page: it must not use anything from this module's scope.
 */

export interface ValueChange {
  value: string;
  /** When the MutationObserver saw the new value. */
  at: number;
  /** The first requestAnimationFrame callback after it (-1 until it ran). */
  frame: number;
}

export interface ProbeState {
  timeOrigin: number;
  /** Changes of the revenue tile's `data-value`. */
  values: ValueChange[];
  /** Changes of the live chart's `data-latest` (empty on a page without the chart). */
  chart: ValueChange[];
  lcp: { startTime: number; size: number; element: string }[];
  longTasks: { startTime: number; duration: number }[];
  measures: { startTime: number; duration: number }[];
  /** Entry types this Chromium would not observe. */
  unsupported: string[];
}

declare global {
  interface Window {
    __pulseBench?: ProbeState;
  }
}

export function installProbe(): void {
  const probe: ProbeState = {
    timeOrigin: performance.timeOrigin,
    values: [],
    chart: [],
    lcp: [],
    longTasks: [],
    measures: [],
    unsupported: [],
  };
  window.__pulseBench = probe;

  const describe = (element: Element | null | undefined): string => {
    if (!element) return "(removed)";
    const testId = element.getAttribute("data-testid");
    if (testId) return `[data-testid="${testId}"]`;
    const cls = typeof element.className === "string" ? element.className.trim().split(/\s+/)[0] : "";
    // Which part of the page: the nearest ancestor with a test id (several charts share a class).
    const within = element.parentElement?.closest("[data-testid]")?.getAttribute("data-testid");
    return `${within ? `[data-testid="${within}"] ` : ""}${element.tagName.toLowerCase()}${cls ? `.${cls}` : ""}`;
  };
  const observe = (type: string, onEntry: (entry: PerformanceEntry) => void) => {
    try {
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) onEntry(entry);
      }).observe({ type, buffered: true });
    } catch {
      probe.unsupported.push(type);
    }
  };
  observe("largest-contentful-paint", (entry) => {
    const lcp = entry as PerformanceEntry & { size: number; element: Element | null };
    probe.lcp.push({ startTime: lcp.startTime, size: lcp.size, element: describe(lcp.element) });
  });
  observe("longtask", (entry) => {
    probe.longTasks.push({ startTime: entry.startTime, duration: entry.duration });
  });
  observe("measure", (entry) => {
    if (entry.name === "pulse:live-update")
      probe.measures.push({ startTime: entry.startTime, duration: entry.duration });
  });

  const watched = [
    { selector: '[data-testid="tile-revenue"]', attribute: "data-value", changes: probe.values, last: "" },
    { selector: '[data-testid="live-chart"]', attribute: "data-latest", changes: probe.chart, last: "" },
  ];
  const check = () => {
    for (const w of watched) {
      const value = document.querySelector(w.selector)?.getAttribute(w.attribute) ?? null;
      if (value === null || value === w.last) continue;
      w.last = value;
      const change: ValueChange = { value, at: performance.now(), frame: -1 };
      w.changes.push(change);
      requestAnimationFrame(() => {
        change.frame = performance.now();
      });
    }
  };
  new MutationObserver(check).observe(document, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: watched.map((w) => w.attribute),
  });
}
