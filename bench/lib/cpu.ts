/**
 * CPU time of the workerd processes of `wrangler dev` (Linux `/proc`), so a bench can put a cost
 * on work the runtime does — e.g. the room's fan-out — that it cannot time from inside (workerd's
 * clocks only move on I/O). Resolution: one clock tick (10 ms); measure many repetitions.
 *
 * `wrangler dev` runs two workerd processes: the runtime of our Worker and its Durable Object (the
 * one with an inspector port), and a local entry proxy in front of it that relays every request
 * and WebSocket frame — a cost production does not have, so the two are reported apart.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

const TICK_MS = 10; // `getconf CLK_TCK` = 100 on Linux

export interface WorkerdCpu {
  /** Our Worker and Durable Object. */
  runtime: number;
  /** wrangler's local entry proxy. */
  proxy: number;
}

/** Milliseconds of user + system CPU used so far by the process group's workerd processes. */
export function workerdCpuMs(processGroup: number): WorkerdCpu {
  const cpu: WorkerdCpu = { runtime: 0, proxy: 0 };
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    let cmdline: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid pgrp …": comm may contain spaces, so split after its closing ")".
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const fields = stat.slice(close + 2).split(" ");
    if (!comm.startsWith("workerd") || Number(fields[2]) !== processGroup) continue;
    const ms = (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime, stime
    if (cmdline.includes("--inspector-addr")) cpu.runtime += ms;
    else cpu.proxy += ms;
  }
  return cpu;
}

export function cpuSince(before: WorkerdCpu, after: WorkerdCpu, per = 1): WorkerdCpu {
  return { runtime: (after.runtime - before.runtime) / per, proxy: (after.proxy - before.proxy) / per };
}

/** The runtime workerd's listening ports (from its socket descriptors and /proc/net/tcp). */
function runtimeListeningPorts(processGroup: number): number[] {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    let cmdline: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
    } catch {
      continue;
    }
    const close = stat.lastIndexOf(")");
    if (!stat.slice(stat.indexOf("(") + 1, close).startsWith("workerd")) continue;
    if (Number(stat.slice(close + 2).split(" ")[2]) !== processGroup || !cmdline.includes("--inspector-addr"))
      continue;
    const inodes = new Set<string>();
    for (const fd of readdirSync(`/proc/${entry}/fd`)) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${entry}/fd/${fd}`));
        if (match) inodes.add(match[1]!);
      } catch {
        // closed meanwhile
      }
    }
    const ports: number[] = [];
    for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is cols[1] ("0100007F:A1B2"), st is cols[3] ("0A" = LISTEN), inode is cols[9].
      if (cols[3] === "0A" && inodes.has(cols[9] ?? ""))
        ports.push(Number.parseInt(cols[1]!.split(":")[1]!, 16));
    }
    return ports;
  }
  return [];
}

/**
 * The address of the runtime workerd itself, behind wrangler's dev proxy: the one of its
 * listening ports that answers the Worker's health check.
 */
export async function runtimeUrl(processGroup: number): Promise<string | null> {
  for (const port of runtimeListeningPorts(processGroup)) {
    const url = `http://127.0.0.1:${port}`;
    try {
      // A runtime still busy with the previous measurement (closing a thousand sockets) can take
      // more than a second to answer; missing it would send the caller through the dev proxy.
      const response = await fetch(`${url}/api/v1/health`, { signal: AbortSignal.timeout(10_000) });
      if (response.ok && (response.headers.get("content-type") ?? "").includes("json")) return url;
    } catch {
      // the inspector or debug port
    }
  }
  return null;
}
