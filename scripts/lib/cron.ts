/**
 * Cron triggers for local runs: `wrangler dev` never fires them on its own; production does
 * (partitions ahead, dirty slices recomputed, the live room reconciled, briefings sent). The crons
 * of wrangler.toml's `[triggers]` are fired on schedule (UTC) through wrangler's
 * `/cdn-cgi/local/scheduled` route, so local runs behave the same.
 */
import { readFileSync } from "node:fs";
import { Cron } from "croner";
import { parse } from "smol-toml";
import { z } from "zod";

const triggers = z.object({ triggers: z.object({ crons: z.array(z.string()).default([]) }).optional() });

/** The cron expressions of a wrangler.toml (top level, not an environment's). */
export function cronsOf(wranglerToml: string): string[] {
  return triggers.parse(parse(readFileSync(wranglerToml, "utf8"))).triggers?.crons ?? [];
}

export interface CronTicker {
  stop(): void;
}

export function startCronTicker(options: {
  crons: string[];
  baseUrl: string;
  signal: AbortSignal;
  say(line: string): void;
  verbose: boolean;
}): CronTicker {
  const { baseUrl, signal, say, verbose } = options;
  const jobs = options.crons.map(
    (cron) =>
      new Cron(cron, { timezone: "UTC", protect: true, unref: true }, async () => {
        try {
          const response = await fetch(
            `${baseUrl}/cdn-cgi/local/scheduled?cron=${encodeURIComponent(cron)}`,
            { signal: AbortSignal.any([signal, AbortSignal.timeout(60_000)]) },
          );
          const body = (await response.text()).slice(0, 300);
          if (!response.ok) say(`cron "${cron}" failed: HTTP ${response.status} ${body}`);
          else if (verbose) say(`cron "${cron}" fired: HTTP ${response.status} ${body}`);
        } catch (error) {
          if (!signal.aborted) say(`cron "${cron}" failed: ${String(error)}`);
        }
      }),
  );
  return {
    stop() {
      for (const job of jobs) job.stop();
    },
  };
}
