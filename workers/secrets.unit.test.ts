/** The Worker's secrets: a missing or malformed one is refused with a message that says which and how to fix it. */
import { describe, expect, it } from "vitest";
import { accessTokensOf, databaseUrlOf, SecretError, secretKeyOf } from "./secrets.ts";

const viewer = "v".repeat(20);
const admin = "a".repeat(20);

describe("access tokens", () => {
  it("reads both tokens", () => {
    expect(accessTokensOf({ VIEWER_TOKEN: viewer, ADMIN_TOKEN: admin })).toEqual({ viewer, admin });
  });

  it("names a missing or empty token and how to set it", () => {
    expect(() => accessTokensOf({ VIEWER_TOKEN: viewer })).toThrow(
      "ADMIN_TOKEN is not set: `wrangler secret put ADMIN_TOKEN`",
    );
    expect(() => accessTokensOf({ VIEWER_TOKEN: "", ADMIN_TOKEN: admin })).toThrow(/^VIEWER_TOKEN is empty/);
  });

  it("refuses a token with a line break around it, a short one, and the same token for both roles", () => {
    expect(() => accessTokensOf({ VIEWER_TOKEN: `${viewer}\n`, ADMIN_TOKEN: admin })).toThrow(
      /VIEWER_TOKEN has white space around it/,
    );
    expect(() => accessTokensOf({ VIEWER_TOKEN: viewer, ADMIN_TOKEN: "short" })).toThrow(
      /ADMIN_TOKEN is shorter than 16 characters/,
    );
    expect(() => accessTokensOf({ VIEWER_TOKEN: viewer, ADMIN_TOKEN: viewer })).toThrow(/are the same/);
    expect(() => accessTokensOf({})).toThrow(SecretError);
  });

  it("reads changed tokens again, and refuses bad ones after good ones were read", () => {
    expect(accessTokensOf({ VIEWER_TOKEN: viewer, ADMIN_TOKEN: admin })).toEqual({ viewer, admin });
    const other = "o".repeat(20);
    expect(accessTokensOf({ VIEWER_TOKEN: other, ADMIN_TOKEN: admin })).toEqual({ viewer: other, admin });
    expect(() => accessTokensOf({ VIEWER_TOKEN: admin, ADMIN_TOKEN: admin })).toThrow(/are the same/);
    expect(() => accessTokensOf({ VIEWER_TOKEN: viewer })).toThrow(/^ADMIN_TOKEN is not set/);
    expect(accessTokensOf({ VIEWER_TOKEN: viewer, ADMIN_TOKEN: admin })).toEqual({ viewer, admin });
  });
});

describe("SECRET_KEY", () => {
  it("is 32 bytes or more of base64 (or base64url)", () => {
    const bytes = Uint8Array.from({ length: 32 }, (_, i) => 250 - i);
    const base64 = btoa(String.fromCharCode(...bytes));
    expect(secretKeyOf({ SECRET_KEY: base64 })).toEqual(bytes);
    expect(secretKeyOf({ SECRET_KEY: base64.replace(/\+/g, "-").replace(/\//g, "_") })).toEqual(bytes);
  });

  it("says what is wrong with it", () => {
    expect(() => secretKeyOf({})).toThrow(/^SECRET_KEY is not set: `wrangler secret put SECRET_KEY`/);
    expect(() => secretKeyOf({ SECRET_KEY: "not base64 at all!" })).toThrow(/^SECRET_KEY is not base64/);
    expect(() => secretKeyOf({ SECRET_KEY: btoa("sixteen bytes ok") })).toThrow(
      /^SECRET_KEY holds 16 bytes, fewer than 32/,
    );
  });
});

describe("DATABASE_URL", () => {
  it("is a postgres URL", () => {
    expect(databaseUrlOf({ DATABASE_URL: "postgresql://u:p@db.example.com/pulse?sslmode=require" })).toBe(
      "postgresql://u:p@db.example.com/pulse?sslmode=require",
    );
    expect(() => databaseUrlOf({})).toThrow(/^DATABASE_URL is not set/);
    expect(() => databaseUrlOf({ DATABASE_URL: "mysql://db.example.com/pulse" })).toThrow(
      /DATABASE_URL is not a postgres:\/\/ URL/,
    );
  });

  it("is read again when it changes, and refused when it breaks after a good one", () => {
    const good = "postgres://u@db.example.com/pulse";
    expect(databaseUrlOf({ DATABASE_URL: good })).toBe(good);
    expect(databaseUrlOf({ DATABASE_URL: `${good}2` })).toBe(`${good}2`);
    expect(() => databaseUrlOf({ DATABASE_URL: ` ${good}` })).toThrow(/white space around it/);
    expect(() => databaseUrlOf({})).toThrow(/^DATABASE_URL is not set/);
    expect(databaseUrlOf({ DATABASE_URL: good })).toBe(good);
  });
});
