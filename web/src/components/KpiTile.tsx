/**
 * One KPI: its label and its value, updated in place. The value is an aria-live region (announced
 * politely when it changes) and briefly takes the accent colour when it moves.
 */
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { formatValue, type ValueKind } from "../lib/format.ts";

interface Props {
  label: string;
  value: number | null;
  kind: ValueKind;
  testId: string;
  primary?: boolean;
}

export function KpiTile({ label, value, kind, testId, primary = false }: Props) {
  const labelId = useId();
  const flash = useChangeFlash(value);
  return (
    <section class={primary ? "tile tile--primary" : "tile"} aria-labelledby={labelId}>
      <h3 id={labelId} class="tile__label">
        {label}
      </h3>
      <p
        class="tile__value"
        data-testid={testId}
        data-value={value ?? undefined}
        data-flash={flash}
        aria-live="polite"
        aria-atomic="true"
      >
        {value === null ? "—" : formatValue(value, kind)}
      </p>
    </section>
  );
}

/**
 * Alternates between two identical animations ("a"/"b") on every change, so the highlight restarts
 * without re-creating the element (a new element would not be announced as a live region update).
 */
function useChangeFlash(value: number | null): "a" | "b" | undefined {
  const [flash, setFlash] = useState<"a" | "b" | undefined>(undefined);
  const previous = useRef(value);
  useEffect(() => {
    if (previous.current !== null && value !== null && previous.current !== value) {
      setFlash((f) => (f === "a" ? "b" : "a"));
    }
    previous.current = value;
  }, [value]);
  return flash;
}
