/** Shown without a session: exchange a pasted viewer token for the session cookie. */
import { useState } from "preact/hooks";
import { ApiError, signIn } from "../lib/api.ts";
import { AppHeader } from "./AppHeader.tsx";

interface Props {
  notice?: string | undefined;
  onSignedIn: () => void;
}

export function SignInScreen({ notice, onSignedIn }: Props) {
  const [token, setToken] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(notice);

  const submit = (event: Event) => {
    event.preventDefault();
    const value = token.trim();
    if (!value) {
      setError("Paste your viewer token first.");
      return;
    }
    setBusy(true);
    setError(undefined);
    signIn(value).then(onSignedIn, (failure: unknown) => {
      setBusy(false);
      setError(
        failure instanceof ApiError && failure.unauthorized
          ? "That token is not valid. Check it and try again."
          : failure instanceof Error
            ? failure.message
            : "Sign-in failed. Try again.",
      );
    });
  };

  return (
    <div class="page">
      <AppHeader />
      <main class="sign-in">
        <form class="card sign-in__card" onSubmit={submit} noValidate>
          <h2 class="sign-in__title">Sign in</h2>
          <p class="muted">Paste the viewer token you were given to see today's figures live.</p>
          <label class="field">
            <span class="field__label">Viewer token</span>
            <input
              class="field__input"
              type="password"
              name="token"
              autocomplete="current-password"
              spellcheck={false}
              autocapitalize="off"
              value={token}
              onInput={(e) => setToken(e.currentTarget.value)}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? "sign-in-error" : undefined}
              required
            />
          </label>
          {error && (
            <p id="sign-in-error" class="form-error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" class="button button--primary" disabled={busy}>
            {busy ? "Signing in…" : "Sign in"}
          </button>
        </form>
      </main>
    </div>
  );
}
