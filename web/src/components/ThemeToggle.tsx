/** Cycles the colour theme: follow the system → light → dark. */
import { useTheme } from "../hooks/useTheme.ts";
import type { ThemeChoice } from "../lib/theme.ts";

const LABEL: Record<ThemeChoice, string> = { system: "Auto", light: "Light", dark: "Dark" };
const DESCRIPTION: Record<ThemeChoice, string> = {
  system: "Theme: automatic, follows your system. Switch to light.",
  light: "Theme: light. Switch to dark.",
  dark: "Theme: dark. Switch to automatic.",
};

export function ThemeToggle() {
  const [choice, cycle] = useTheme();
  return (
    <button type="button" class="button button--quiet" onClick={cycle} aria-label={DESCRIPTION[choice]}>
      <svg class="icon" viewBox="0 0 20 20" aria-hidden="true" focusable="false">
        <circle cx="10" cy="10" r="7" fill="none" stroke="currentColor" stroke-width="1.75" />
        <path d="M10 3a7 7 0 0 1 0 14z" fill="currentColor" />
      </svg>
      <span class="theme-label">{LABEL[choice]}</span>
    </button>
  );
}
