/**
 * One KPI over the selected range: its value (updated in place, announced politely, briefly in the
 * accent colour when it moves; "updating…" while the API recomputes it), the change against the comparison period, a sparkline of the
 * range, and — for revenue — the seed's flags in words and colour.
 */
import { useEffect, useId, useLayoutEffect, useRef, useState } from "preact/hooks";
import { firstThatFits, measurerFor } from "../lib/fit.ts";
import { formatChange, headlineCandidates, type ValueKind } from "../lib/format.ts";
import type { Flag, TileFigure } from "../lib/overview.ts";
import { Sparkline } from "./Sparkline.tsx";

const FLAG_HINTS: Record<Flag["name"], string> = {
  volatility: "Day-over-day revenue change: high over 25 %, moderate over 10 %",
  performance: "Revenue against its 7-day average: below 0.8×, above 1.2×",
  trend: "Revenue against the same day last week: up or down by more than 5 %",
};

interface Props {
  label: string;
  kind: ValueKind;
  testId: string;
  figure: TileFigure | null;
  /** "previous period", "same period last year". */
  compareLabel: string;
  flags?: Flag[];
}

export function KpiTile({ label, kind, testId, figure, compareLabel, flags }: Props) {
  const labelId = useId();
  const value = figure?.value ?? null;
  const flash = useChangeFlash(value);
  const fitted = useFittedFigure(value, kind);
  const change = figure?.changePct ?? null;
  const direction = change === null || change === 0 ? "flat" : change > 0 ? "up" : "down";
  return (
    <section class="tile" aria-labelledby={labelId} data-testid={`${testId}-card`}>
      <h3 id={labelId} class="tile__label">
        {label}
      </h3>
      <p
        ref={fitted.ref}
        class="tile__value"
        data-testid={testId}
        data-value={value ?? undefined}
        data-pending={value === null && figure?.pending ? "" : undefined}
        data-flash={flash}
        data-figure=""
        data-full={fitted.compact ? fitted.full : undefined}
        title={fitted.full}
        // A shortened figure can be focused to read it whole.
        tabIndex={fitted.compact ? 0 : undefined}
        aria-live="polite"
        aria-atomic="true"
      >
        {value === null ? (
          figure?.pending ? (
            // Being recomputed after new data (seconds): never shown as 0 or a stale figure.
            <span class="muted">updating…</span>
          ) : (
            "—"
          )
        ) : fitted.compact ? (
          <>
            <span aria-hidden="true">{fitted.text}</span>
            <span class="visually-hidden">{fitted.full}</span>
          </>
        ) : (
          fitted.text
        )}
      </p>
      <p
        class="tile__change"
        data-direction={direction}
        data-testid={`${testId}-change`}
        data-value={change ?? undefined}
      >
        {figure === null ? (
          " "
        ) : change === null ? (
          // No figure to compare with (nothing in that period, or a change from 0), said in words.
          <>nothing to compare in the {compareLabel}</>
        ) : (
          <>
            <span class="figure" data-figure="">
              {formatChange(change)}
            </span>{" "}
            vs {compareLabel}
          </>
        )}
      </p>
      {figure && <Sparkline values={figure.spark} />}
      {flags && flags.length > 0 && (
        <ul class="flags" aria-label="Revenue flags of the last complete day">
          {flags.map((f) => (
            <li
              key={f.name}
              class="flag"
              data-tone={f.tone}
              data-flag={f.name}
              data-code={f.code}
              title={FLAG_HINTS[f.name]}
            >
              {f.text}
            </li>
          ))}
        </ul>
      )}
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

/**
 * The longest rendering of `value` that fits the element on one line, chosen again whenever the
 * element's width changes (a phone turned, a window resized).
 */
function useFittedFigure(value: number | null, kind: ValueKind) {
  const ref = useRef<HTMLParagraphElement>(null);
  const candidates = value === null ? [] : headlineCandidates(value, kind);
  const key = candidates.join("|");
  const [chosen, setChosen] = useState(0);
  useLayoutEffect(() => {
    const element = ref.current;
    if (!element || candidates.length === 0) return;
    const choose = () => {
      if (element.clientWidth > 0)
        setChosen(firstThatFits(candidates, measurerFor(element), element.clientWidth));
    };
    choose();
    const observer = new ResizeObserver(choose);
    observer.observe(element);
    return () => observer.disconnect();
  }, [key]);
  const index = Math.min(chosen, Math.max(0, candidates.length - 1));
  return {
    ref,
    full: candidates[0],
    text: candidates[index] ?? "—",
    compact: index > 0,
  };
}
