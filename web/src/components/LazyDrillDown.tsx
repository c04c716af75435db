/**
 * The mount point of the drill-down: it loads as its own chunk once the first screen is shown (its
 * bars ask for their data only after it anyway), so the first visit's script is smaller and its
 * evaluation never competes with the first figures.
 */
import type { ComponentProps, ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import { afterFirstScreen } from "../lib/first-screen.ts";
import type { DrillDown } from "./DrillDown.tsx";

type Props = ComponentProps<typeof DrillDown>;

export function LazyDrillDown(props: Props) {
  const [Panel, setPanel] = useState<ComponentType<Props> | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let live = true;
    afterFirstScreen()
      .then(() => import("./DrillDown.tsx"))
      .then(
        (m) => live && setPanel(() => m.DrillDown),
        () => live && setFailed(true),
      );
    return () => {
      live = false;
    };
  }, []);
  if (Panel) return <Panel {...props} />;
  return (
    <section class="drill card" aria-labelledby="drill-title" data-testid="drill-loading">
      <div class="section-head">
        <h2 id="drill-title" class="section-title">
          Drill-down
        </h2>
      </div>
      <p class={failed ? "form-error" : "muted"}>
        {failed ? "The drill-down did not load. Reload the page." : "Loading…"}
      </p>
    </section>
  );
}
