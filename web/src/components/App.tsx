/**
 * Top level: which screen to show. The dashboard is tried first (a session cookie may exist; the
 * page can't read an HttpOnly cookie to know) and hands over to the sign-in form on a 401.
 */
import { useCallback, useEffect, useState } from "preact/hooks";
import { ApiError, signIn } from "../lib/api.ts";
import { Dashboard } from "./Dashboard.tsx";
import { SignInScreen } from "./SignInScreen.tsx";

type Screen = { name: "exchanging" } | { name: "dashboard" } | { name: "signIn"; notice?: string };

export function App({ linkToken }: { linkToken: string | null }) {
  const [screen, setScreen] = useState<Screen>(linkToken ? { name: "exchanging" } : { name: "dashboard" });

  useEffect(() => {
    if (!linkToken) return;
    signIn(linkToken).then(
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
  }, [linkToken]);

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
