/** A dashboard's frame, read defensively: anything but a valid client message gets an error frame back. */
import { type ClientMessage, clientMessage, describeIssues, type ServerMessage } from "./protocol.ts";

const MAX_MESSAGE_BYTES = 4_096;

export function readClientFrame(
  message: string | ArrayBuffer,
): { ok: true; message: ClientMessage } | { ok: false; error: ServerMessage } {
  if (typeof message !== "string") {
    return {
      ok: false,
      error: { type: "error", code: "malformed_message", message: "Send JSON text frames." },
    };
  }
  if (message.length > MAX_MESSAGE_BYTES) {
    return {
      ok: false,
      error: {
        type: "error",
        code: "message_too_large",
        message: `Messages are at most ${MAX_MESSAGE_BYTES} bytes.`,
      },
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    return {
      ok: false,
      error: { type: "error", code: "malformed_message", message: "Messages must be JSON." },
    };
  }
  const parsed = clientMessage.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      error: {
        type: "error",
        code: "invalid_message",
        message: `Expected {"type":"subscribe",…}, {"type":"resync",…} or {"type":"ping"} — ${describeIssues(parsed.error.issues)}`,
      },
    };
  }
  return { ok: true, message: parsed.data };
}
