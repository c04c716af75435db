import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { newWebhookSecret, signedHeaders, verifySignature } from "./signature.ts";

describe("Standard Webhooks signatures", () => {
  it("signs exactly as the reference library does, for any body", () => {
    const secret = newWebhookSecret();
    const at = new Date();
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.uuid(), (body, id) => {
        const ours = signedHeaders(secret, body, id, at)["webhook-signature"];
        expect(ours).toBe(new Webhook(secret).sign(id, at, body));
      }),
      { numRuns: 300 },
    );
  });

  it("accepts the library's signature and rejects a changed body, id or secret", () => {
    const secret = newWebhookSecret();
    const body = '{"entity":"sale","note":"café ☕"}';
    const id = "msg_1";
    const at = new Date();
    const headers = {
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": new Webhook(secret).sign(id, at, body),
    };
    expect(verifySignature([secret], body, headers)).toEqual({ ok: true, index: 0 });
    expect(verifySignature([secret], `${body} `, headers).ok).toBe(false);
    expect(verifySignature([secret], body, { ...headers, "webhook-id": "msg_2" }).ok).toBe(false);
    expect(verifySignature([newWebhookSecret()], body, headers).ok).toBe(false);
    // During a rotation the previous secret still verifies.
    expect(verifySignature([newWebhookSecret(), secret], body, headers)).toEqual({ ok: true, index: 1 });
  });
});
