/**
 * Offline scoring of a `timestamp,value` CSV (what `npm run detect` runs): the same detectors the
 * live room runs, one point at a time in file order, so each row's score depends only on the rows
 * before it and on itself.
 */
import type { Detector } from "./detector.ts";

export interface SeriesRow {
  timestamp: string;
  value: string;
  t: number;
  x: number;
}

/** Timestamps as NAB writes them ("2014-07-01 00:00:00", read as UTC) or ISO 8601. */
export function parseTimestamp(text: string): number {
  const iso = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text)
    ? `${text.replace(" ", "T")}Z`
    : text;
  return Date.parse(iso);
}

/** Rows of a `timestamp,value` CSV with a header; throws with the line number on a bad row. */
export function parseSeriesCsv(text: string): SeriesRow[] {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  const header = lines
    .shift()
    ?.split(",")
    .map((h) => h.trim().toLowerCase());
  if (header?.[0] !== "timestamp" || header[1] !== "value") {
    throw new Error('the first line must be the header "timestamp,value"');
  }
  return lines.map((line, i) => {
    const [timestamp = "", value = ""] = line.split(",").map((cell) => cell.trim());
    const t = parseTimestamp(timestamp);
    const x = Number(value);
    if (!Number.isFinite(t)) throw new Error(`line ${i + 2}: "${timestamp}" is not a timestamp`);
    if (value === "" || !Number.isFinite(x)) throw new Error(`line ${i + 2}: "${value}" is not a number`);
    return { timestamp, value, t, x };
  });
}

/** Scores every row in order with a fresh detector. */
export function scoreSeries(rows: readonly SeriesRow[], detector: Detector): number[] {
  return rows.map((row) => detector.next({ t: row.t, value: row.x }).score);
}

export function scoresCsv(rows: readonly SeriesRow[], scores: readonly number[]): string {
  const lines = rows.map((row, i) => `${row.timestamp},${row.value},${scores[i]}`);
  return `${["timestamp,value,anomaly_score", ...lines].join("\n")}\n`;
}
