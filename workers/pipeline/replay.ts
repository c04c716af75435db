/**
 * Replay of a source's unmapped or quarantined events: taken out of bronze in chunks and processed
 * again as if just received (their original receive time is kept). Events still unmapped or
 * invalid simply land in the same state again.
 */
import { type Db, transaction } from "../db/client.ts";
import { eventChecksum } from "../ingest/checksum.ts";
import { identityOf, parseEvent } from "../ingest/events.ts";
import { pipelineOptions } from "./consumer.ts";
import { type Item, processItems } from "./process.ts";
import { refreshLive } from "./refresh-live.ts";
import { takeBronzeForReplay } from "./store/bronze.ts";

const REPLAY_CHUNK = 1_000;
const REPLAY_ROUNDS = 20;

export interface ReplayTotals {
  replayed: number;
  processed: number;
  quarantined: number;
  unmapped: number;
  /** Events of that status were left (the rounds ran out): call again. */
  more: boolean;
}

/** Replays up to `REPLAY_ROUNDS` chunks, then brings the live room up to date once. */
export async function replaySource(
  env: Env,
  db: Db,
  source: string,
  status: "unmapped" | "quarantined",
): Promise<ReplayTotals> {
  const options = { ...pipelineOptions(env), replay: true };
  const totals: ReplayTotals = { replayed: 0, processed: 0, quarantined: 0, unmapped: 0, more: false };
  const touched = { days: new Set<string>(), minutes: new Set<string>() };
  for (let round = 0; round < REPLAY_ROUNDS; round++) {
    const outcome = await transaction(db, async (tx) => {
      const taken = await takeBronzeForReplay(tx, source, status, REPLAY_CHUNK);
      const result = await processItems(tx, itemsOf(source, taken), options);
      return { taken: taken.length, result };
    });
    totals.replayed += outcome.taken;
    totals.processed += outcome.result.processed;
    totals.quarantined += outcome.result.quarantined;
    totals.unmapped += outcome.result.unmapped;
    for (const key of outcome.result.touchedLive.days) touched.days.add(key);
    for (const key of outcome.result.touchedLive.minutes) touched.minutes.add(key);
    if (outcome.taken < REPLAY_CHUNK) break;
    totals.more = round === REPLAY_ROUNDS - 1;
  }
  await refreshLive(env, db, { days: [...touched.days], minutes: [...touched.minutes] });
  return totals;
}

function itemsOf(source: string, taken: { raw: unknown; receivedAt: string }[]): Item[] {
  const items: Item[] = [];
  for (const t of taken) {
    const parsed = parseEvent(t.raw);
    // Bronze only holds events that passed the webhook, so this cannot fail short of a format change.
    if (!parsed.ok) continue;
    items.push({
      source,
      receivedAt: t.receivedAt,
      raw: t.raw,
      checksum: eventChecksum(source, identityOf(parsed.change)),
      change: parsed.change,
    });
  }
  return items;
}
