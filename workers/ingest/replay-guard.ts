/**
 * `WebhookReplayGuard` — one Durable Object per source, remembering the (`webhook-id`,
 * `webhook-timestamp`) pairs it has accepted for as long as the signature's tolerance window lets
 * them verify. A captured request sent again (same id, same timestamp, same signature) is
 * refused; a sender's retry, which Standard Webhooks senders sign afresh with a new timestamp,
 * passes (and its events are deduplicated downstream by checksum as before).
 *
 * Why a Durable Object: the check must hold across isolates and locations, and the webhook path
 * otherwise never touches Postgres before answering; one small SQLite write in the source's own
 * object (billed as one Durable Object request) is cheaper than a Postgres round trip per request, and the table prunes itself with an alarm.
 */
import { DurableObject } from "cloudflare:workers";

/** How long a pair is kept past its timestamp: the 5-minute tolerance plus a minute of clock skew. */
export const REPLAY_WINDOW_MS = 6 * 60_000;

export class WebhookReplayGuard extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, expires INTEGER NOT NULL)");
  }

  /** Records `key` until `expires` (ms); false when it was already recorded and not yet expired. */
  async claim(key: string, expires: number): Promise<boolean> {
    const now = Date.now();
    const sql = this.ctx.storage.sql;
    const existing = sql
      .exec<{ expires: number }>("SELECT expires FROM seen WHERE key = ?", key)
      .toArray()[0];
    if (existing && existing.expires > now) return false;
    sql.exec("INSERT OR REPLACE INTO seen (key, expires) VALUES (?, ?)", key, expires);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(now + REPLAY_WINDOW_MS);
    return true;
  }

  override async alarm(): Promise<void> {
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM seen WHERE expires <= ?", Date.now());
    const left = sql.exec<{ n: number }>("SELECT count(*) AS n FROM seen").one().n;
    if (left > 0) await this.ctx.storage.setAlarm(Date.now() + REPLAY_WINDOW_MS);
  }
}
