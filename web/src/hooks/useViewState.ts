/**
 * The view (range, comparison, filters) kept in the address bar: each change is a history entry,
 * so Back undoes a filter and the URL can be bookmarked or shared.
 */
import { useCallback, useEffect, useState } from "preact/hooks";
import { parseView, serializeView, type ViewState } from "../lib/url-state.ts";

export function useViewState(): [ViewState, (next: ViewState) => void] {
  const [view, setView] = useState(() => parseView(window.location.search));
  useEffect(() => {
    const back = () => setView(parseView(window.location.search));
    window.addEventListener("popstate", back);
    return () => window.removeEventListener("popstate", back);
  }, []);
  const update = useCallback((next: ViewState) => {
    const { pathname, hash } = window.location;
    window.history.pushState(null, "", `${pathname}${serializeView(next)}${hash}`);
    setView(next);
  }, []);
  return [view, update];
}
