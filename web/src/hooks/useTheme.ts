/** The colour theme choice and a function that moves to the next one (system → light → dark). */
import { useCallback, useLayoutEffect, useState } from "preact/hooks";
import { applyTheme, nextTheme, readTheme, type ThemeChoice } from "../lib/theme.ts";

export function useTheme(): [ThemeChoice, () => void] {
  const [choice, setChoice] = useState<ThemeChoice>(readTheme);
  // Layout effect: the new colours land in the same frame as the new button label.
  useLayoutEffect(() => applyTheme(choice), [choice]);
  const cycle = useCallback(() => setChoice((c) => nextTheme[c]), []);
  return [choice, cycle];
}
