/**
 * Security state: dashboard sessions signed out before they expired. A session cookie is signed
 * and carries its own expiry, so only revocations need storing; a row goes once the session
 * would have expired anyway (the scheduled job prunes it).
 */
import { index, pgTable, timestamp, varchar } from "drizzle-orm/pg-core";

export const revokedSessions = pgTable(
  "revoked_sessions",
  {
    sid: varchar("sid", { length: 64 }).primaryKey(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("revoked_sessions_expires_idx").on(t.expiresAt)],
);

/**
 * When each source secret stopped being valid, by its key (the hex SHA-256 of its stored,
 * encrypted form). Filled by a trigger on `sources` whenever a secret is rotated away, its grace
 * ends or its source is deleted (see the migration); the consumer quarantines events a revoked key
 * signed after `revoked_at`, so a revocation holds at once even where an isolate still caches the
 * secret. Kept for good: a dead-lettered message can be replayed long after.
 */
export const sourceKeyRevocations = pgTable("source_key_revocations", {
  key: varchar("key", { length: 64 }).primaryKey(),
  source: varchar("source", { length: 50 }).notNull(),
  revokedAt: timestamp("revoked_at", { withTimezone: true }).notNull(),
});
