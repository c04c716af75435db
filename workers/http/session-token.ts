/**
 * Dashboard sessions: the cookie holds `v1.<payload>.<mac>`, where the payload is
 * `{role, exp, sid, tk}` (base64url JSON) and the MAC is HMAC-SHA-256 under a key derived from
 * `SECRET_KEY`. Never the token: a stolen cookie expires (`exp`, checked here, not by the browser)
 * and is revoked by signing out (its `sid` goes to `revoked_sessions`). `tk` fingerprints the token
 * it was issued for, so rotating the viewer or admin token ends every session made with the old one.
 *
 * Revocations are read from Postgres and kept per isolate: a session seen not revoked is trusted for
 * `REVOCATION_RECHECK_MS`, so a sign-out in one isolate takes effect in the others within that time
 * (at once in the isolate that served it).
 */
import { withDb } from "../db/client.ts";
import { accessTokensOf } from "../secrets.ts";
import { base64url, fromBase64url, type KeyEnv, keysOf } from "./keys.ts";

export type SessionRole = "viewer" | "admin";

export interface SessionEnv extends KeyEnv {
  DATABASE_URL: string;
  PG_WS_PROXY?: string;
  VIEWER_TOKEN: string;
  ADMIN_TOKEN: string;
}

export interface SessionToken {
  role: SessionRole;
  /** Expiry, Unix seconds. */
  exp: number;
  sid: string;
  tk: string;
}

/** How long a session lasts: a working day for admin, a week for viewers (a wall display). */
export const SESSION_SECONDS: Record<SessionRole, number> = { admin: 12 * 3600, viewer: 7 * 86_400 };
export const REVOCATION_RECHECK_MS = 15_000;

const encoder = new TextEncoder();

async function mac(env: KeyEnv, text: string): Promise<string> {
  const { session } = await keysOf(env);
  return base64url(await crypto.subtle.sign("HMAC", session, encoder.encode(text)));
}

/** A short fingerprint of the token a session was issued for. */
async function fingerprint(env: KeyEnv, token: string): Promise<string> {
  return (await mac(env, `token:${token}`)).slice(0, 16);
}

export async function issueSession(
  env: SessionEnv,
  role: SessionRole,
  token: string,
  now = Date.now(),
): Promise<{ value: string; session: SessionToken }> {
  const session: SessionToken = {
    role,
    exp: Math.floor(now / 1000) + SESSION_SECONDS[role],
    sid: crypto.randomUUID(),
    tk: await fingerprint(env, token),
  };
  const payload = base64url(encoder.encode(JSON.stringify(session)));
  // A session id just drawn cannot have been revoked: the page this sign-in opens (a dozen
  // requests at once) is not held up by as many revocation reads.
  remember(notRevoked, session.sid, now + REVOCATION_RECHECK_MS);
  return { value: `v1.${payload}.${await mac(env, `v1.${payload}`)}`, session };
}

export type SessionCheck =
  | { ok: true; session: SessionToken }
  | { ok: false; reason: "invalid" | "expired" | "revoked" };

function parse(value: string): { signed: string; payload: string; sig: string } | undefined {
  const parts = value.split(".");
  if (parts.length !== 3 || parts[0] !== "v1" || !parts[1] || !parts[2]) return undefined;
  return { signed: `v1.${parts[1]}`, payload: parts[1], sig: parts[2] };
}

function decode(payload: string): SessionToken | undefined {
  try {
    const value = JSON.parse(new TextDecoder().decode(fromBase64url(payload))) as Partial<SessionToken>;
    if (
      (value.role === "viewer" || value.role === "admin") &&
      Number.isInteger(value.exp) &&
      typeof value.sid === "string" &&
      typeof value.tk === "string"
    ) {
      return value as SessionToken;
    }
  } catch {
    // not a payload of ours
  }
  return undefined;
}

/** Checks signature, expiry, the token it was issued for, and revocation. */
export async function verifySession(env: SessionEnv, value: string, now = Date.now()): Promise<SessionCheck> {
  const parts = parse(value);
  if (!parts) return { ok: false, reason: "invalid" };
  const { session: key } = await keysOf(env);
  let sig: Uint8Array<ArrayBuffer>;
  try {
    sig = fromBase64url(parts.sig);
  } catch {
    return { ok: false, reason: "invalid" };
  }
  // crypto.subtle.verify compares in constant time.
  if (!(await crypto.subtle.verify("HMAC", key, sig, encoder.encode(parts.signed)))) {
    return { ok: false, reason: "invalid" };
  }
  const session = decode(parts.payload);
  if (!session) return { ok: false, reason: "invalid" };
  if (session.exp * 1000 <= now) return { ok: false, reason: "expired" };
  const token = accessTokensOf(env)[session.role];
  if (session.tk !== (await fingerprint(env, token))) return { ok: false, reason: "expired" };
  if (await isRevoked(env, session, now)) return { ok: false, reason: "revoked" };
  return { ok: true, session };
}

/** sid → until when it is known: revoked for good, or not revoked as of a recent read. */
const revoked = new Map<string, number>();
const notRevoked = new Map<string, number>();
const MAX_REMEMBERED = 10_000;

function remember(map: Map<string, number>, sid: string, until: number): void {
  if (map.size >= MAX_REMEMBERED) {
    const now = Date.now();
    for (const [key, at] of map) if (at <= now) map.delete(key);
    if (map.size >= MAX_REMEMBERED) map.clear();
  }
  map.set(sid, until);
}

async function isRevoked(env: SessionEnv, session: SessionToken, now: number): Promise<boolean> {
  if ((revoked.get(session.sid) ?? 0) > now) return true;
  if ((notRevoked.get(session.sid) ?? 0) > now) return false;
  const found = await withDb(
    env,
    async (db) =>
      (await db.query("SELECT 1 FROM revoked_sessions WHERE sid = $1", [session.sid])).rowCount ?? 0,
  );
  if (found > 0) {
    remember(revoked, session.sid, session.exp * 1000);
    return true;
  }
  remember(notRevoked, session.sid, now + REVOCATION_RECHECK_MS);
  return false;
}

/** Signs a session out for good (until it would have expired anyway, when the row is pruned). */
export async function revokeSession(env: SessionEnv, session: SessionToken): Promise<void> {
  await withDb(env, (db) =>
    db.query(
      `INSERT INTO revoked_sessions (sid, expires_at) VALUES ($1, to_timestamp($2))
       ON CONFLICT (sid) DO NOTHING`,
      [session.sid, session.exp],
    ),
  );
  notRevoked.delete(session.sid);
  remember(revoked, session.sid, session.exp * 1000);
}

/** Drops revocations of sessions that have expired anyway (the scheduled job). */
export async function pruneRevokedSessions(db: { query(text: string): Promise<unknown> }): Promise<void> {
  await db.query("DELETE FROM revoked_sessions WHERE expires_at < now()");
}
