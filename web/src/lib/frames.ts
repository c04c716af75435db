/**
 * Parses one WebSocket frame from the live room with the shared protocol schema. Frames are
 * untrusted input: anything that doesn't match is reported, not cast.
 */
import { type ServerMessage, serverMessage } from "../../../workers/live/protocol.ts";

export type ParsedFrame = { ok: true; message: ServerMessage } | { ok: false; reason: string };

export function parseFrame(data: unknown): ParsedFrame {
  if (typeof data !== "string") return { ok: false, reason: "binary frame" };
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return { ok: false, reason: `not JSON: ${data.slice(0, 120)}` };
  }
  const parsed = serverMessage.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, reason: `${issue?.path.join(".") || "frame"}: ${issue?.message ?? "invalid"}` };
  }
  return { ok: true, message: parsed.data };
}
