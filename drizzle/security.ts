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
