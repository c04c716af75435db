/**
 * The Worker's secrets (`wrangler secret put`; `npm start` and `npm run deploy` generate them),
 * read through zod schemas: a secret that is missing or malformed fails with a message naming it
 * and saying how to set it, never as a cast that lets `undefined`, an empty string or a stray line
 * break through as a value.
 */
import { z } from "zod";

/** The shortest access token accepted: a bearer credential guessed in few tries is none. */
export const MIN_TOKEN_LENGTH = 16;

const putHint = (name: string) => `\`wrangler secret put ${name}\``;

function requiredSecret(name: string) {
  return z
    .string({ error: `${name} is not set: ${putHint(name)}` })
    .min(1, `${name} is empty: ${putHint(name)}`)
    .refine(
      (v) => v.trim() === v,
      `${name} has white space around it (a line break from \`echo\`?): put it again`,
    );
}

function accessToken(name: string) {
  return requiredSecret(name).refine(
    (v) => v.length >= MIN_TOKEN_LENGTH,
    `${name} is shorter than ${MIN_TOKEN_LENGTH} characters: put a random one (\`openssl rand -base64 32\`)`,
  );
}

const accessTokens = z
  .object({ VIEWER_TOKEN: accessToken("VIEWER_TOKEN"), ADMIN_TOKEN: accessToken("ADMIN_TOKEN") })
  .refine(
    (t) => t.VIEWER_TOKEN !== t.ADMIN_TOKEN,
    "VIEWER_TOKEN and ADMIN_TOKEN are the same: they must differ",
  )
  .transform((t) => ({ viewer: t.VIEWER_TOKEN, admin: t.ADMIN_TOKEN }));

/** Base64 (or base64url) text to bytes; undefined when it is not base64. */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  let binary: string;
  try {
    binary = atob(text.trim().replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    return undefined;
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const KEY_HINT = "32 random bytes, base64: `openssl rand -base64 32`";

const secretKey = z
  .string({ error: `SECRET_KEY is not set: ${putHint("SECRET_KEY")} (${KEY_HINT})` })
  .min(1, `SECRET_KEY is empty: ${putHint("SECRET_KEY")} (${KEY_HINT})`)
  .transform((text, ctx) => {
    const bytes = decodeBase64(text);
    if (!bytes)
      ctx.issues.push({ code: "custom", input: text, message: `SECRET_KEY is not base64 (${KEY_HINT})` });
    else if (bytes.length < 32) {
      ctx.issues.push({
        code: "custom",
        input: text,
        message: `SECRET_KEY holds ${bytes.length} bytes, fewer than 32 (${KEY_HINT})`,
      });
    }
    return bytes ?? new Uint8Array(0);
  });

const databaseUrl = requiredSecret("DATABASE_URL").refine(
  (v) => URL.canParse(v) && /^postgres(ql)?:$/.test(new URL(v).protocol),
  "DATABASE_URL is not a postgres:// URL (Neon's connection string, or the local server's)",
);

/** A secret that is missing or malformed; its message says which and how to set it. */
export class SecretError extends Error {
  override readonly name = "SecretError";
}

function read<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new SecretError(parsed.error.issues.map((i) => i.message).join("; "));
  return parsed.data;
}

export interface AccessTokens {
  viewer: string;
  admin: string;
}

/**
 * The values the tokens and the database URL were last read from, and what they read as: a request
 * does not run the schemas again on the values the previous one already checked (secrets do not
 * change during an isolate's life). Only values that passed are kept: a missing or malformed secret
 * fails every time, with its message.
 */
let tokensRead: { viewer: string; admin: string; tokens: AccessTokens } | undefined;
let databaseUrlRead: string | undefined;

/** The viewer and admin tokens: both set, long enough, and different. */
export function accessTokensOf(env: { VIEWER_TOKEN?: string; ADMIN_TOKEN?: string }): AccessTokens {
  const { VIEWER_TOKEN: viewer, ADMIN_TOKEN: admin } = env;
  if (tokensRead && tokensRead.viewer === viewer && tokensRead.admin === admin) return tokensRead.tokens;
  const tokens = Object.freeze(read(accessTokens, { VIEWER_TOKEN: viewer, ADMIN_TOKEN: admin }));
  tokensRead = { viewer: tokens.viewer, admin: tokens.admin, tokens };
  return tokens;
}

/** The bytes of `SECRET_KEY` (at least 32), which every other key is derived from. */
export function secretKeyOf(env: { SECRET_KEY?: string }): Uint8Array<ArrayBuffer> {
  return read(secretKey, env.SECRET_KEY) as Uint8Array<ArrayBuffer>;
}

/** The connection string of the Postgres the Worker uses. */
export function databaseUrlOf(env: { DATABASE_URL?: string }): string {
  if (databaseUrlRead !== undefined && env.DATABASE_URL === databaseUrlRead) return databaseUrlRead;
  databaseUrlRead = read(databaseUrl, env.DATABASE_URL);
  return databaseUrlRead;
}
