/**
 * What the alert engine reads from Postgres, shared by every room of an isolate and loaded in the
 * background, one query at a time: the rules with the firing incidents and the slices' members
 * (every 10 s), and each slice's hourly history (every 6 hours; every minute until it reaches the
 * present). In production one room evaluates;
 * where many rooms share an isolate (tests, shards) they share one set of reads.
 */
import { eq, gte } from "drizzle-orm";
import { alertIncidents } from "../../drizzle/alerts.ts";
import { kpiDaySlice } from "../../drizzle/schema.ts";
import { type DbEnv, orm, withDb } from "../db/client.ts";
import { daysBefore, type LiveDim, type Slice, sliceKey } from "../live/buckets.ts";
import { readSliceHistory } from "./history-store.ts";
import type { Rule } from "./rules.ts";
import type { SliceHistory } from "./series.ts";
import { listRules } from "./store.ts";

const RULES_TTL_MS = 10_000;
const HISTORY_TTL_MS = 6 * 3_600_000;
const HISTORY_WEEKS = 8;
/** A failed load is tried again after this long (not on every update). */
const RETRY_MS = 5_000;
/** A history that does not reach the last few days yet is read again after this long. */
const CATCH_UP_RETRY_MS = 60_000;
const CAUGHT_UP_WITHIN_MS = 3 * 86_400_000;

/**
 * Whether a slice's hourly history reaches the present: its newest hour with orders is within the
 * last three days. A history loading oldest first (a backfill, the demo's first start) does not,
 * until it is in; neither does a slice without sales for days, which has nothing to judge against.
 */
export function historyCaughtUp(history: SliceHistory, now: number): boolean {
  let newest = Number.NEGATIVE_INFINITY;
  for (const [t, m] of history.hours) if (m.orders !== 0 && t > newest) newest = t;
  return newest >= now - CAUGHT_UP_WITHIN_MS;
}
export const MEMBER_DIMS: LiveDim[] = ["region", "segment", "category"];

export interface RuleSet {
  rules: Rule[];
  /** `ruleId|dim|member` → the firing incident. */
  firing: Map<string, { alertId: string; startedAt: number }>;
  members: Map<LiveDim, Set<string>>;
  loadedAt: number;
}

interface Cached<T> {
  value: T | null;
  loadedAt: number;
  loading: boolean;
}

let chain: Promise<unknown> = Promise.resolve();
/** Runs `work` after every load already queued in this isolate. */
function queued<T>(work: () => Promise<T>): Promise<T> {
  const next = chain.then(work, work);
  chain = next.catch(() => undefined);
  return next;
}

const ruleSet: Cached<RuleSet> = { value: null, loadedAt: 0, loading: false };
const histories = new Map<string, Cached<SliceHistory>>();

/** The rules as last loaded (null until the first load); starts a reload when stale. */
export function currentRules(env: DbEnv, now: number): RuleSet | null {
  if (!ruleSet.loading && now - ruleSet.loadedAt > RULES_TTL_MS) {
    ruleSet.loading = true;
    void queued(() => withDb(env, (db) => loadRuleSet(db, now)))
      .then((value) => {
        ruleSet.value = value;
        ruleSet.loadedAt = Date.now();
      })
      .catch((error: unknown) => {
        console.error(JSON.stringify({ msg: "alert rules load failed", error: String(error) }));
        ruleSet.loadedAt = Date.now() - RULES_TTL_MS + RETRY_MS;
      })
      .finally(() => {
        ruleSet.loading = false;
      });
  }
  return ruleSet.value;
}

async function loadRuleSet(db: Parameters<typeof listRules>[0], now: number): Promise<RuleSet> {
  const rules = await listRules(db);
  const builder = orm(db);
  const firing = new Map<string, { alertId: string; startedAt: number }>();
  const members = new Map<LiveDim, Set<string>>();
  // Without rules there is nothing to resume or to spread over members: one query is enough.
  if (rules.length === 0) return { rules, firing, members, loadedAt: now };
  for (const row of await builder.select().from(alertIncidents).where(eq(alertIncidents.status, "firing"))) {
    firing.set(`${row.ruleId}|${row.slice}`, { alertId: row.alertId, startedAt: row.startedAt.getTime() });
  }
  if (!rules.some((r) => r.per)) return { rules, firing, members, loadedAt: now };
  const since = daysBefore(new Date(now).toISOString().slice(0, 10), 35);
  const rows = await builder
    .selectDistinct({ dim: kpiDaySlice.dim, member: kpiDaySlice.member })
    .from(kpiDaySlice)
    .where(gte(kpiDaySlice.day, since));
  for (const { dim, member } of rows) {
    if (!(MEMBER_DIMS as string[]).includes(dim)) continue;
    const set = members.get(dim as LiveDim) ?? new Set<string>();
    set.add(member);
    members.set(dim as LiveDim, set);
  }
  return { rules, firing, members, loadedAt: now };
}

/** A slice's hourly history as last loaded (null until then); starts a reload when stale. */
export function currentHistory(
  env: DbEnv & { REPORTING_TZ: string },
  slice: Slice,
  now: number,
): SliceHistory | null {
  const key = sliceKey(slice);
  const entry = histories.get(key) ?? { value: null, loadedAt: 0, loading: false };
  histories.set(key, entry);
  if (!entry.loading && now - entry.loadedAt > HISTORY_TTL_MS) {
    entry.loading = true;
    const filters = slice.dim === "all" ? {} : { [slice.dim]: slice.member };
    void queued(() =>
      withDb(env, (db) =>
        readSliceHistory(
          db,
          filters,
          { from: now - HISTORY_WEEKS * 7 * 86_400_000, to: now },
          env.REPORTING_TZ,
        ),
      ),
    )
      .then((value) => {
        const caughtUp = historyCaughtUp(value, now);
        // A history still being loaded (oldest first) would make the missing recent weeks look like
        // silence: judge nothing on it (keep what was read before, if anything), read it again soon.
        if (caughtUp) entry.value = value;
        entry.loadedAt = caughtUp ? Date.now() : Date.now() - HISTORY_TTL_MS + CATCH_UP_RETRY_MS;
      })
      .catch((error: unknown) => {
        console.error(JSON.stringify({ msg: "alert history load failed", slice: key, error: String(error) }));
        entry.loadedAt = Date.now() - HISTORY_TTL_MS + RETRY_MS;
      })
      .finally(() => {
        entry.loading = false;
      });
  }
  return entry.value;
}
