/**
 * Whether an event can be kept as it is: small enough for one queue message, nested no deeper
 * than the pipeline reads, and free of text Postgres cannot store (`\u0000`, lone UTF-16
 * surrogates: `jsonb` and `text` refuse both). An event that cannot is quarantined with a copy that
 * can be stored: a preview of its text, or its text with the offending characters replaced. Pure.
 */
import { Buffer } from "node:buffer";
import { MAX_MESSAGE_BYTES } from "../pipeline/message.ts";

/** An event and its checksum must fit one queue message with room for the envelope. */
export const MAX_EVENT_BYTES = MAX_MESSAGE_BYTES - 2 * 1024;
export const MAX_DEPTH = 32;
/** Characters of an unstorable event's text kept in quarantine. */
const PREVIEW_CHARS = 2_000;

export type Inspection = { ok: true } | { ok: false; rule: string; reasons: string[]; stored: unknown };

const badText = { test: (s: string) => s.includes("\u0000") || !s.isWellFormed() };

/** Replaces NUL and lone surrogates with U+FFFD so the text can be stored. */
export function storableText(text: string): string {
  return text.replaceAll("\u0000", "\ufffd").toWellFormed();
}

/** A copy of `value` whose strings and keys can all be stored. */
export function storableCopy(value: unknown): unknown {
  if (typeof value === "string") return badText.test(value) ? storableText(value) : value;
  if (Array.isArray(value)) return value.map(storableCopy);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storableText(k), storableCopy(v)]));
  }
  return value;
}

export function inspectEvent(raw: unknown): Inspection {
  // Depth and text first, without recursion (a 2 MB body can nest a million levels).
  const stack: [unknown, number][] = [[raw, 1]];
  let unstorable: string | undefined;
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (typeof value === "string") {
      if (!unstorable && badText.test(value)) unstorable = value;
      continue;
    }
    if (value === null || typeof value !== "object") continue;
    if (depth > MAX_DEPTH) {
      return reject(raw, "too_deep", `the event nests deeper than ${MAX_DEPTH} levels; flatten it`);
    }
    if (Array.isArray(value)) {
      for (const item of value) stack.push([item, depth + 1]);
    } else {
      for (const [key, item] of Object.entries(value)) {
        if (!unstorable && badText.test(key)) unstorable = key;
        stack.push([item, depth + 1]);
      }
    }
  }
  const bytes = Buffer.byteLength(JSON.stringify(raw) ?? "");
  if (bytes > MAX_EVENT_BYTES) {
    return reject(
      raw,
      "event_too_large",
      `the event is ${bytes} bytes; one event may be at most ${MAX_EVENT_BYTES} bytes`,
    );
  }
  if (unstorable !== undefined) {
    return {
      ok: false,
      rule: "unstorable_text",
      reasons: [
        `a text contains ${unstorable.includes("\u0000") ? "a NUL character (\\u0000)" : "a lone UTF-16 surrogate"}, ` +
          "which the database cannot store; kept with U+FFFD in its place",
      ],
      stored: storableCopy(raw),
    };
  }
  return { ok: true };
}

function reject(raw: unknown, rule: string, reason: string): Inspection {
  let text: string;
  try {
    text = JSON.stringify(raw) ?? "";
  } catch {
    // Too deep for the runtime's own serialiser.
    text = "";
  }
  return {
    ok: false,
    rule,
    reasons: [`${reason}; the first ${PREVIEW_CHARS} characters are kept`],
    stored: { preview: storableText(text.slice(0, PREVIEW_CHARS)), bytes: Buffer.byteLength(text) },
  };
}
