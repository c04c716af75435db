/**
 * Colour theme: follow the system (default), or a choice kept in localStorage. The choice is set as
 * `data-theme` on <html>; the stylesheet does the rest. index.html applies a stored choice before
 * first paint with the same key.
 */
export type ThemeChoice = "system" | "light" | "dark";

const KEY = "pulse-theme";

export const nextTheme: Record<ThemeChoice, ThemeChoice> = { system: "light", light: "dark", dark: "system" };

export function readTheme(): ThemeChoice {
  try {
    const stored = localStorage.getItem(KEY);
    return stored === "light" || stored === "dark" ? stored : "system";
  } catch {
    return "system"; // storage blocked (privacy settings): fall back to the system theme
  }
}

export function applyTheme(choice: ThemeChoice): void {
  const root = document.documentElement;
  if (choice === "system") delete root.dataset.theme;
  else root.dataset.theme = choice;
  try {
    if (choice === "system") localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
  } catch {
    // Not persisted; the choice still holds for this page.
  }
}
