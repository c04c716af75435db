import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cron } from "croner";
import { describe, expect, it } from "vitest";
import { cronsOf } from "./cron.ts";

describe("local cron triggers", () => {
  it("reads the crons of the project's wrangler.toml, not an environment's", () => {
    const crons = cronsOf(join(import.meta.dirname, "../../wrangler.toml"));
    expect(crons.length).toBeGreaterThan(0);
    for (const cron of crons) expect(() => new Cron(cron, { paused: true })).not.toThrow();
    const dir = mkdtempSync(join(tmpdir(), "pulse-cron-"));
    const file = join(dir, "wrangler.toml");
    writeFileSync(file, 'name = "x"\n[env.production.triggers]\ncrons = ["0 * * * *"]\n');
    expect(cronsOf(file)).toEqual([]);
    writeFileSync(
      file,
      'name = "x"\n[triggers]\ncrons = [\n  "*/5 * * * *", # maintenance\n  "0 6 * * 1",\n]\n',
    );
    expect(cronsOf(file)).toEqual(["*/5 * * * *", "0 6 * * 1"]);
  });
});
