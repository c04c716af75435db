// Applies a stored theme before first paint (no flash); src/lib/theme.ts owns the key. A file, not
// an inline script, so the Content-Security-Policy allows scripts from this origin only.
try {
  const theme = localStorage.getItem("pulse-theme");
  if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
} catch {}
