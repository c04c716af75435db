/**
 * Revoked source secrets, as the consumer sees them: a message carries the key of the secret that
 * verified it (sources.ts); if that secret was revoked — rotated away, its grace over, its source
 * deleted — before the message was received, its events are quarantined instead of stored. An
 * isolate may still hold a revoked secret in its cache for a few seconds; this is where such
 * requests stop, whichever isolate took them.
 */
import type { Db } from "../db/client.ts";

/** The rule of events signed with a secret revoked before they arrived. */
export const REVOKED_SECRET = "revoked_secret";

/** When each key carried by `messages` was revoked (ms since the epoch); keys not revoked are absent. */
export async function revokedKeys(
  db: Db,
  messages: readonly { body: unknown }[],
): Promise<Map<string, number>> {
  const keys = new Set<string>();
  for (const { body } of messages) {
    const key = (body as { key?: unknown } | null)?.key;
    if (typeof key === "string") keys.add(key);
  }
  if (keys.size === 0) return new Map();
  const found = await db.query<{ key: string; revoked_at: Date }>(
    "SELECT key, revoked_at FROM source_key_revocations WHERE key = ANY($1::text[])",
    [[...keys]],
  );
  return new Map(found.rows.map((r) => [r.key, new Date(r.revoked_at).getTime()]));
}

/** Why a message's events are not stored, or null when its secret was valid when it arrived. */
export function revocationOf(
  message: { source: string; key?: string | undefined; received_at: string },
  revoked: ReadonlyMap<string, number>,
): string | null {
  const at = message.key === undefined ? undefined : revoked.get(message.key);
  if (at === undefined || Date.parse(message.received_at) < at) return null;
  return (
    `signed with a secret of source "${message.source}" that stopped being valid at ` +
    `${new Date(at).toISOString()} (rotated or the source deleted), before the request arrived at ` +
    `${message.received_at}; replay it if the sender is genuine`
  );
}
