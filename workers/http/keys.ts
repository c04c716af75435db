/**
 * The Worker's keys, all derived (HKDF-SHA-256) from one secret, `SECRET_KEY` (32 random bytes,
 * base64): one HMAC key signs session cookies, one AES-GCM key encrypts source secrets at rest.
 * Derived once per isolate and secret value.
 */
export interface KeyEnv {
  SECRET_KEY: string;
}

export interface Keys {
  session: CryptoKey;
  sourceSecrets: CryptoKey;
}

const derived = new Map<string, Promise<Keys>>();

export function keysOf(env: KeyEnv): Promise<Keys> {
  const secret = env.SECRET_KEY;
  if (!secret) {
    throw new Error("SECRET_KEY is not set: `wrangler secret put SECRET_KEY` (32 random bytes, base64)");
  }
  let keys = derived.get(secret);
  if (!keys) {
    keys = derive(secret);
    derived.set(secret, keys);
    keys.catch(() => derived.delete(secret));
  }
  return keys;
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const normal = text.trim().replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(normal);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

async function derive(secret: string): Promise<Keys> {
  let raw: Uint8Array<ArrayBuffer>;
  try {
    raw = fromBase64(secret);
  } catch {
    throw new Error("SECRET_KEY must be base64 (32 random bytes: `openssl rand -base64 32`)");
  }
  if (raw.length < 32) throw new Error("SECRET_KEY must hold at least 32 bytes (base64 of 32 random bytes)");
  const master = await crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveKey"]);
  const params = (info: string) => ({
    name: "HKDF",
    hash: "SHA-256",
    salt: new Uint8Array(0),
    info: new TextEncoder().encode(info),
  });
  const [session, sourceSecrets] = await Promise.all([
    crypto.subtle.deriveKey(
      params("pulse/session/v1"),
      master,
      { name: "HMAC", hash: "SHA-256", length: 256 },
      false,
      ["sign", "verify"],
    ),
    crypto.subtle.deriveKey(
      params("pulse/source-secrets/v1"),
      master,
      { name: "AES-GCM", length: 256 },
      false,
      ["encrypt", "decrypt"],
    ),
  ]);
  return { session, sourceSecrets };
}

/** A new SECRET_KEY value: 32 random bytes, base64. */
export function newSecretKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes));
}

export function base64url(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let binary = "";
  for (const b of view) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  return fromBase64(text);
}
