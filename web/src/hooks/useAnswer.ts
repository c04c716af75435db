/**
 * A KPI API answer for a URL: fetched when the URL (or `refresh`) changes, the previous answer kept
 * on screen while the next one loads (no flash of empty charts), earlier requests cancelled. The
 * first screen's answers come from the one request sent before the first render (`first-screen.ts`).
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { type Answer, ApiError, fetchAnswer } from "../lib/api.ts";
import { afterFirstScreen, takeFirstAnswer } from "../lib/first-screen.ts";

export interface Loaded {
  answer: Answer | null;
  /** The URL the answer is for (it may lag behind the one asked while loading). */
  url: string | null;
  error: string | null;
  loading: boolean;
  /** Client clock when the answer arrived (ages are measured on one clock: no skew). */
  receivedAt: number | null;
}

/**
 * @param onUnauthorized called on a 401; `hadAnswer` tells a session that ended (an answer was
 *   shown) from a visitor who never signed in.
 * @param deferred not part of the first screen: asked once it is shown (see `lib/first-screen.ts`)
 */
export function useAnswer(
  url: string | null,
  refresh = 0,
  onUnauthorized?: (hadAnswer: boolean) => void,
  deferred = false,
): Loaded {
  const [state, setState] = useState<Loaded>({
    answer: null,
    url: null,
    error: null,
    loading: url !== null,
    receivedAt: null,
  });
  const answered = useRef(false);
  useEffect(() => {
    if (url === null) return;
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    // The first screen's answer may already be on its way (asked for before the first render).
    const early = refresh === 0 ? takeFirstAnswer(url) : undefined;
    (
      early ??
      (deferred ? afterFirstScreen() : Promise.resolve()).then(() => fetchAnswer(url, controller.signal))
    )
      .then((answer) => {
        if (controller.signal.aborted) throw controller.signal.reason;
        return answer;
      })
      .then(
        (answer) => {
          answered.current = true;
          setState({ answer, url, error: null, loading: false, receivedAt: Date.now() });
        },
        (error: unknown) => {
          if (controller.signal.aborted) return;
          if (error instanceof ApiError && error.unauthorized) onUnauthorized?.(answered.current);
          setState((s) => ({
            ...s,
            error: error instanceof Error ? error.message : String(error),
            loading: false,
          }));
        },
      );
    return () => controller.abort();
  }, [url, refresh]);
  return state;
}
