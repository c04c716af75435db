/**
 * The mount point of the admin's rule editor: it loads as its own chunk when an admin opens it, so
 * neither viewers nor the first screen pay for it.
 */
import type { ComponentType } from "preact";
import { useState } from "preact/hooks";

export function LazyRuleEditor() {
  const [Editor, setEditor] = useState<ComponentType | null>(null);
  const [state, setState] = useState<"closed" | "loading" | "open" | "failed">("closed");
  const open = () => {
    setState("loading");
    import("./RuleEditor.tsx").then(
      (m) => {
        setEditor(() => m.RuleEditor);
        setState("open");
      },
      () => setState("failed"),
    );
  };
  if (state === "open" && Editor) return <Editor />;
  return (
    <div class="rules rules--closed">
      <button
        type="button"
        class="button button--small"
        data-testid="rules-open"
        disabled={state === "loading"}
        onClick={open}
      >
        {state === "loading" ? "Loading the rule editor…" : "Edit alert rules"}
      </button>
      {state === "failed" && (
        <span class="form-error" role="alert">
          The rule editor did not load. Try again.
        </span>
      )}
    </div>
  );
}
