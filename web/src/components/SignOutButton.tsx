/** Ends the session on the server (the cookie is HttpOnly: only the server can clear it). */
import { useState } from "preact/hooks";
import { signOut } from "../lib/api.ts";

export function SignOutButton({ onSignedOut }: { onSignedOut: () => void }) {
  const [state, setState] = useState<"idle" | "busy" | "failed">("idle");
  const click = () => {
    setState("busy");
    signOut().then(onSignedOut, () => setState("failed"));
  };
  return (
    <button type="button" class="button button--quiet" onClick={click} disabled={state === "busy"}>
      {state === "failed" ? "Sign out failed, retry" : "Sign out"}
    </button>
  );
}
