/**
 * Choosing the longest rendering of a figure that fits its box on one line ("$125,961.72" on a
 * desktop tile, "$125.96K" on a phone), measured with the element's own font. The choice itself
 * is pure; the measuring uses one canvas for the page.
 */

/** Index of the first candidate no wider than `available` (the last one when none is). */
export function firstThatFits(
  candidates: readonly string[],
  width: (text: string) => number,
  available: number,
): number {
  for (let i = 0; i < candidates.length; i++) {
    if (width(candidates[i]!) <= available) return i;
  }
  return Math.max(0, candidates.length - 1);
}

let canvas: HTMLCanvasElement | null = null;

/** Width in CSS pixels of a text in `element`'s font (with a little slack for kerning and digits). */
export function measurerFor(element: Element): (text: string) => number {
  canvas ??= document.createElement("canvas");
  const context = canvas.getContext("2d");
  if (!context) return (text) => text.length * 10;
  const style = getComputedStyle(element);
  context.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const spacing = Number.parseFloat(style.letterSpacing) || 0;
  return (text) => (context.measureText(text).width + spacing * text.length) * 1.04;
}
