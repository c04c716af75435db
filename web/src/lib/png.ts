/**
 * A chart as a PNG file: uPlot draws on a transparent canvas, so the image gets the page's
 * background and the chart's title before `toBlob`, then downloads through a temporary link.
 */
export function downloadChartPng(
  canvas: HTMLCanvasElement,
  title: string,
  background: string,
  text: string,
): void {
  const ratio = canvas.width / Math.max(1, canvas.clientWidth || canvas.width);
  const header = Math.round(32 * ratio);
  const image = document.createElement("canvas");
  image.width = canvas.width;
  image.height = canvas.height + header;
  const ctx = image.getContext("2d");
  if (!ctx) return;
  ctx.fillStyle = background;
  ctx.fillRect(0, 0, image.width, image.height);
  ctx.fillStyle = text;
  ctx.font = `600 ${Math.round(16 * ratio)}px system-ui, sans-serif`;
  ctx.fillText(title, Math.round(8 * ratio), Math.round(22 * ratio));
  ctx.drawImage(canvas, 0, header);
  image.toBlob((blob) => {
    if (!blob) return;
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `pulse-${title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "")}.png`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  }, "image/png");
}
