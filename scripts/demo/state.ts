/**
 * What the demo remembers between starts (in the data folder, one file per database): the seed
 * and the first instant of its history, so a restart regenerates the same business, and the time
 * up to which everything was posted, so a restart fills the gap since the last run.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { z } from "zod";

const stateSchema = z.object({
  seed: z.number().int(),
  epoch: z.number().int(),
  speed: z.number().positive(),
  /** Every event before this instant was posted (null: the history's load never finished). */
  postedUntil: z.number().int().nullable(),
});
export type DemoState = z.infer<typeof stateSchema>;

export function readState(path: string): DemoState | null {
  if (!existsSync(path)) return null;
  try {
    return stateSchema.parse(JSON.parse(readFileSync(path, "utf8")));
  } catch {
    // Unreadable: the demo starts a history of its own again (posting it twice changes nothing).
    return null;
  }
}

export function writeState(path: string, state: DemoState): void {
  writeFileSync(`${path}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}
