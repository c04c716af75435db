/** Bench output: a printed table and a JSON file under bench/results/ (one per suite and run). */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { projectRoot } from "../../scripts/lib/wrangler-dev.ts";

export interface Row {
  metric: string;
  value: number;
  unit: string;
  target?: string;
  note?: string;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

export function summarize(name: string, samples: number[], unit: string, target?: string): Row[] {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (v: number) => Math.round(v * 100) / 100;
  return [
    { metric: `${name} p50`, value: round(percentile(sorted, 50)), unit, ...(target ? { target } : {}) },
    { metric: `${name} p95`, value: round(percentile(sorted, 95)), unit },
    { metric: `${name} p99`, value: round(percentile(sorted, 99)), unit },
    {
      metric: `${name} min/max`,
      value: round(sorted[0] ?? Number.NaN),
      unit,
      note: `max ${round(sorted.at(-1) ?? Number.NaN)} ${unit}, n=${samples.length}`,
    },
  ];
}

export function report(suite: string, rows: Row[], extra: Record<string, unknown> = {}): string {
  const header = ["metric", "value", "unit", "target", "note"];
  const table = rows.map((r) => [r.metric, String(r.value), r.unit, r.target ?? "", r.note ?? ""]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  console.log(`\n## ${suite}`);
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of table) console.log(line(row));

  const dir = join(projectRoot, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${suite}.json`);
  const machine = {
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
  writeFileSync(
    file,
    `${JSON.stringify({ suite, at: new Date().toISOString(), machine, rows, ...extra }, null, 2)}\n`,
  );
  console.log(`(written to ${file})`);
  return file;
}
