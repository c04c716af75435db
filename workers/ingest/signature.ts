/**
 * Standard Webhooks signatures (`webhook-id`, `webhook-timestamp`, `webhook-signature:
 * v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, 5-minute tolerance on the timestamp header).
 * Used by the Worker to verify and by the demo source, tests and benches to sign.
 */
import { Buffer } from "node:buffer";
import { createHmac } from "node:crypto";
import { Webhook, WebhookVerificationError } from "standardwebhooks";

/**
 * The library's verification (headers, tolerance, several signatures, constant-time comparison)
 * with the HMAC computed by the runtime: the library's own pure-JS SHA-256 cost more than any other
 * step of the webhook but parsing (README, "Figures behind the code"). Signing uses
 * it too; a test checks both against the library's own signatures.
 */
class RuntimeHmacWebhook extends Webhook {
  readonly #key: Buffer;

  constructor(secret: string) {
    super(secret); // validates the secret
    this.#key = Buffer.from(secret.startsWith("whsec_") ? secret.slice(6) : secret, "base64");
  }

  override sign(msgId: string, timestamp: Date, payload: string | Buffer): string {
    const seconds = Math.floor(timestamp.getTime() / 1000);
    const mac = createHmac("sha256", this.#key).update(`${msgId}.${seconds}.${payload.toString()}`);
    return `v1,${mac.digest("base64")}`;
  }
}

/** `index`: which of the secrets verified the body. */
export type Verification = { ok: true; index: number } | { ok: false; reason: string };

const reasons: Record<string, string> = {
  "Missing required headers": "webhook-id, webhook-timestamp and webhook-signature headers are required",
  "Invalid Signature Headers": "webhook-timestamp must be a Unix time in seconds",
  "Message timestamp too old": "webhook-timestamp is more than 5 minutes old; sign with the current time",
  "Message timestamp too new":
    "webhook-timestamp is more than 5 minutes in the future; check the sender's clock",
  "No matching signature found": "webhook-signature does not match the body with this source's secret",
};

/** Verifies `body` against any of `secrets` (the current one and, during rotation, the previous). */
export function verifySignature(
  secrets: string[],
  body: string,
  headers: Record<string, string>,
): Verification {
  let reason = "webhook-signature does not match the body with this source's secret";
  for (const [index, secret] of secrets.entries()) {
    try {
      new RuntimeHmacWebhook(secret).verify(body, headers, { jsonParse: false });
      return { ok: true, index };
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error;
      reason = reasons[error.message] ?? error.message;
      if (error.message !== "No matching signature found") break;
    }
  }
  return { ok: false, reason };
}

/** Headers for a signed request (id and time default to fresh values). */
export function signedHeaders(
  secret: string,
  body: string,
  id: string = crypto.randomUUID(),
  at: Date = new Date(),
): Record<string, string> {
  const signature = new RuntimeHmacWebhook(secret).sign(id, at, body);
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": signature,
  };
}

/** A new `whsec_` secret: 32 random bytes, base64. */
export function newWebhookSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}
