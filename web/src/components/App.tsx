/**
 * Top level: which screen to show. The dashboard is tried first (a session cookie may exist; the
 * page can't read an HttpOnly cookie to know) and hands over to the sign-in form on a 401.
 */
import { useCallback, useEffect, useState } from "preact/hooks";
import { ApiError, type Role } from "../lib/api.ts";
import { Dashboard } from "./Dashboard.tsx";
import { SignInScreen } from "./SignInScreen.tsx";

type Screen = { name: "exchanging" } | { name: "dashboard" } | { name: "signIn"; notice?: string };

/** @param signingIn the exchange of a sign-in link's token for the session cookie, under way */
export function App({ signingIn }: { signingIn: Promise<Role> | null }) {
  const [screen, setScreen] = useState<Screen>(signingIn ? { name: "exchanging" } : { name: "dashboard" });

  useEffect(() => {
    if (!signingIn) return;
    signingIn.then(
      () => setScreen({ name: "dashboard" }),
      (error: unknown) =>
        setScreen({
          name: "signIn",
          notice:
            error instanceof ApiError && error.unauthorized
              ? "The token in that link is not valid. Paste a viewer token instead."
              : messageOf(error),
        }),
    );
  }, [signingIn]);

  const showDashboard = useCallback(() => setScreen({ name: "dashboard" }), []);
  const showSignIn = useCallback((notice?: string) => setScreen({ name: "signIn", notice }), []);

  switch (screen.name) {
    case "exchanging":
      return (
        <main class="center-screen">
          <p role="status" class="muted">
            Signing in…
          </p>
        </main>
      );
    case "dashboard":
      return <Dashboard onSignedOut={showSignIn} />;
    case "signIn":
      return <SignInScreen notice={screen.notice} onSignedIn={showDashboard} />;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : "Something went wrong. Try again.";
}
