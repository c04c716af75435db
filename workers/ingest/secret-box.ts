/**
 * Source secrets at rest: AES-256-GCM under a key derived from `SECRET_KEY`, a fresh 96-bit IV per
 * value, the source's name as additional data (a ciphertext copied to another source's row does not
 * open). Stored as `enc:v1:<iv>:<ciphertext+tag>` (base64url). Works in the Worker and in Node
 * (WebCrypto), so `npm start`, tests and benches write rows the Worker reads.
 */
import { base64url, fromBase64url, type KeyEnv, keysOf } from "../http/keys.ts";

const PREFIX = "enc:v1:";

export function isSealed(stored: string): boolean {
  return stored.startsWith(PREFIX);
}

const aad = (source: string) => new TextEncoder().encode(`pulse source secret:${source}`);

export async function sealSecret(env: KeyEnv, source: string, secret: string): Promise<string> {
  const { sourceSecrets } = await keysOf(env);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: aad(source) },
    sourceSecrets,
    new TextEncoder().encode(secret),
  );
  return `${PREFIX}${base64url(iv)}:${base64url(sealed)}`;
}

/** The secret in `stored`; throws when it was sealed under another key or for another source. */
export async function openSecret(env: KeyEnv, source: string, stored: string): Promise<string> {
  if (!isSealed(stored)) throw new Error(`the secret of source "${source}" is not encrypted`);
  const [iv, sealed] = stored.slice(PREFIX.length).split(":");
  if (!iv || !sealed) throw new Error(`the secret of source "${source}" is not a sealed value`);
  const { sourceSecrets } = await keysOf(env);
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: fromBase64url(iv), additionalData: aad(source) },
      sourceSecrets,
      fromBase64url(sealed),
    );
    return new TextDecoder().decode(plain);
  } catch {
    throw new Error(`the secret of source "${source}" does not open with this SECRET_KEY`);
  }
}
