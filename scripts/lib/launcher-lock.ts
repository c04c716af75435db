/**
 * One launcher per data folder: two would open the same PGlite files and the same Durable Object
 * storage at once. The lock file records the launcher's pid and wrangler's process group; a lock
 * left by a launcher that was killed (SIGKILL, so it could not clean up) is taken over, and the
 * wrangler it left running is stopped.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export class LauncherLock {
  readonly file: string;
  private readonly dataDir: string;
  private readonly say: (line: string) => void;
  private held = false;

  constructor(dataDir: string, say: (line: string) => void) {
    this.dataDir = dataDir;
    this.say = say;
    this.file = join(dataDir, "launcher.pid");
  }

  async acquire(): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(this.file, JSON.stringify({ pid: process.pid }), { flag: "wx" });
        this.held = true;
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      let owner: { pid?: number; wrangler?: number } = {};
      try {
        owner = JSON.parse(readFileSync(this.file, "utf8")) as typeof owner;
      } catch {
        // unreadable: treat as stale
      }
      if (owner.pid && owner.pid !== process.pid && isAlive(owner.pid)) {
        throw new Error(`${this.dataDir} is in use by another launcher (pid ${owner.pid}). Stop it first.`);
      }
      if (owner.wrangler && isWranglerGroup(owner.wrangler)) {
        this.say(
          `stopping the wrangler (process group ${owner.wrangler}) left running by a launcher that was killed`,
        );
        await stopGroup(owner.wrangler);
      }
      rmSync(this.file, { force: true });
    }
    throw new Error(`cannot lock ${this.dataDir} (${this.file})`);
  }

  /** Records wrangler's process group, for the next launcher if this one is killed. */
  recordWrangler(pgid: number): void {
    if (this.held) writeFileSync(this.file, JSON.stringify({ pid: process.pid, wrangler: pgid }));
  }

  release(): void {
    if (this.held) rmSync(this.file, { force: true });
  }
}

/** Whether `pgid` still leads a process group that runs wrangler (pids get reused). */
function isWranglerGroup(pgid: number): boolean {
  try {
    return isAlive(pgid) && readFileSync(`/proc/${pgid}/cmdline`, "utf8").includes("wrangler");
  } catch {
    return false;
  }
}

async function stopGroup(pgid: number): Promise<void> {
  const send = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pgid, signal);
    } catch {
      // gone
    }
  };
  send("SIGTERM");
  for (let i = 0; i < 50 && isAlive(pgid); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  send("SIGKILL");
  await new Promise((resolve) => setTimeout(resolve, 200));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
