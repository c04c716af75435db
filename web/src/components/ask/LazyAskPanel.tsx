/**
 * The mount point of "Ask Pulse": the panel loads as its own chunk after the overview, so the
 * question box adds nothing to the first visit's budget.
 */
import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";

export function LazyAskPanel() {
  const [Panel, setPanel] = useState<ComponentType | null>(null);
  useEffect(() => {
    let live = true;
    import("./AskPanel.tsx").then(
      (m) => live && setPanel(() => m.AskPanel),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return Panel ? <Panel /> : null;
}
