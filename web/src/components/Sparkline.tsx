/** A tiny trend line (inline SVG: no chart instance per tile). Decorative: the tile says it in words. */
export function Sparkline({ values }: { values: readonly (number | null)[] }) {
  const points = values.map((v, i) => [i, v ?? 0] as const);
  if (points.length < 2) return null;
  const max = Math.max(...points.map(([, v]) => v));
  const min = Math.min(0, ...points.map(([, v]) => v));
  const span = max - min || 1;
  const last = points.length - 1;
  const path = points
    .map(([i, v]) => `${((i / last) * 100).toFixed(2)},${(28 - ((v - min) / span) * 26).toFixed(2)}`)
    .join(" ");
  return (
    <svg
      class="sparkline"
      viewBox="0 0 100 30"
      preserveAspectRatio="none"
      aria-hidden="true"
      focusable="false"
    >
      <polyline points={path} />
    </svg>
  );
}
