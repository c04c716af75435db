/**
 * The Worker's keys, all derived (HKDF-SHA-256) from one secret, `SECRET_KEY` (32 random bytes,
 * base64, read through its schema in `secrets.ts`): one HMAC key signs session cookies, one
 * AES-GCM key encrypts source secrets at rest. Derived once per isolate and secret value.
 */
import { decodeBase64, secretKeyOf } from "../secrets.ts";

export interface KeyEnv {
  SECRET_KEY: string;
}

export interface Keys {
  session: CryptoKey;
  sourceSecrets: CryptoKey;
}

const derived = new Map<string, Promise<Keys>>();

/** The keys of `env.SECRET_KEY`; rejects with the schema's message when the secret is missing or malformed. */
export function keysOf(env: KeyEnv): Promise<Keys> {
  const secret = env.SECRET_KEY;
  let keys = derived.get(secret);
  if (!keys) {
    try {
      keys = derive(secretKeyOf(env));
    } catch (error) {
      return Promise.reject(error);
    }
    derived.set(secret, keys);
    keys.catch(() => derived.delete(secret));
  }
  return keys;
}

async function derive(raw: Uint8Array<ArrayBuffer>): Promise<Keys> {
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

/** Base64url (or base64) text to bytes; throws when it is not base64. */
export function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  const bytes = decodeBase64(text);
  if (!bytes) throw new Error("not base64");
  return bytes;
}
