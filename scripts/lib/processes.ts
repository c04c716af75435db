/**
 * Child processes for the launcher: each one runs in its own process group so that stopping it
 * stops everything it started (wrangler starts workerd, which starts more workerd), and a terminal's
 * Ctrl-C reaches only the launcher, which then stops the children in order.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { constants } from "node:os";
import type { Readable } from "node:stream";

export interface GroupProcess {
  child: ChildProcess;
  /** Resolves with the exit code (or 128 + signal number style code) once the leader has exited. */
  exited: Promise<number>;
  /** SIGTERM to the whole group, SIGKILL after `graceMs`; resolves when the group is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnGroupOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Called with every complete line the process writes to stdout or stderr. */
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
}

/** Spawns `command` as the leader of a new process group, stdin closed, output by line. */
export function spawnGroup(command: string, args: string[], options: SpawnGroupOptions = {}): GroupProcess {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const onLine =
    options.onLine ?? ((line, stream) => (stream === "stderr" ? console.error : console.log)(line));
  forwardLines(child.stdout, (line) => onLine(line, "stdout"));
  forwardLines(child.stderr, (line) => onLine(line, "stderr"));

  const exited = new Promise<number>((resolve) => {
    child.once("error", (error) => {
      onLine(`failed to start ${command}: ${error.message}`, "stderr");
      resolve(127);
    });
    // Like a shell: 128 + the signal's number when a signal ended it.
    child.once("exit", (code, signal) =>
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)),
    );
  });

  const pid = child.pid;
  return {
    child,
    exited,
    async stop(graceMs = 5_000) {
      if (pid === undefined) return;
      if (!signalGroup(pid, "SIGTERM")) return;
      const deadline = Date.now() + graceMs;
      while (Date.now() < deadline) {
        if (!groupAlive(pid)) return;
        await sleep(100);
      }
      signalGroup(pid, "SIGKILL");
      // Bounded: a zombie nobody reaps would still count as alive.
      const killDeadline = Date.now() + 2_000;
      while (groupAlive(pid) && Date.now() < killDeadline) await sleep(50);
    },
  };
}

/** Sends `signal` to process group `pgid`; false when the group no longer exists. */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Whether any process of group `pgid` is still alive (signal 0 checks without sending). */
function groupAlive(pgid: number): boolean {
  return signalGroup(pgid, 0);
}

function forwardLines(stream: Readable | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let rest = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    rest += chunk;
    const lines = rest.split(/\r?\n/);
    rest = lines.pop() ?? "";
    for (const line of lines) onLine(line);
  });
  stream.on("end", () => {
    if (rest) onLine(rest);
    rest = "";
  });
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** A TCP port that was free a moment ago on `host`. */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Whether something already accepts connections on `host:port`. */
export function portInUse(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(true));
    server.listen(port, host, () => server.close(() => resolve(false)));
  });
}

/**
 * Polls `url` until it answers 200. Rejects when `giveUp` settles first (e.g. the server process
 * exited) or after `timeoutMs`.
 */
export async function waitForHttpOk(
  url: string,
  options: { timeoutMs: number; giveUp?: Promise<unknown>; signal?: AbortSignal },
): Promise<void> {
  let stopped: string | undefined;
  options.giveUp?.then(() => {
    stopped = "the server process exited";
  });
  const deadline = Date.now() + options.timeoutMs;
  let last = "no answer yet";
  while (!stopped && !options.signal?.aborted) {
    if (Date.now() > deadline)
      throw new Error(`${url} did not answer 200 within ${options.timeoutMs} ms (${last})`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.status === 200) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(150, options.signal);
  }
  throw new Error(stopped ? `${url} never answered: ${stopped}` : "aborted");
}
