/** The page header: the product name and, on the right, the actions of the current screen. */
import type { ComponentChildren } from "preact";
import { ThemeToggle } from "./ThemeToggle.tsx";

export function AppHeader({ children }: { children?: ComponentChildren }) {
  return (
    <header class="app-header">
      <h1 class="brand">
        <svg class="brand__mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
          <rect width="32" height="32" rx="8" />
          <path d="M5 17h6l3-7 4 13 3-6h6" />
        </svg>
        Pulse
      </h1>
      <div class="app-header__actions">
        <ThemeToggle />
        {children}
      </div>
    </header>
  );
}
