/**
 * Which event wins for a key (pure). The latest source time wins, whatever the arrival order; on
 * equal times the source position decides where both events have one (Debezium's LSN), else the
 * later-received event wins. A winning DELETE is a tombstone: its time guards the key like any
 * other state, so an older UPDATE arriving later cannot revive the record.
 */
export interface Version {
  isDeleted: boolean;
  lastEventAt: string;
  lastPosition: string | null;
}

/** True when an event at (`at`, `position`), received after `current`, replaces it. */
export function supersedes(at: string, position: string | null, current: Version): boolean {
  const candidate = Date.parse(at);
  const held = Date.parse(current.lastEventAt);
  if (candidate !== held) return candidate > held;
  if (position !== null && current.lastPosition !== null && position !== current.lastPosition) {
    return position > current.lastPosition;
  }
  return true;
}

/**
 * Applies `events` (in arrival order) on top of `existing` states and returns the final state of
 * every key whose state changed. `toState` builds a state from a winning event (and the previous
 * state, for partial updates).
 */
export function resolveLatest<
  S extends Version,
  E extends { key: string; eventTime: string; position: string | null },
>(
  existing: ReadonlyMap<string, S>,
  events: readonly E[],
  toState: (event: E, previous: S | undefined) => S,
): Map<string, S> {
  const finals = new Map<string, S>();
  for (const event of events) {
    const current = finals.get(event.key) ?? existing.get(event.key);
    if (current && !supersedes(event.eventTime, event.position, current)) continue;
    finals.set(event.key, toState(event, current));
  }
  return finals;
}
