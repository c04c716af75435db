/**
 * Sign-in links carry the token in the fragment (`/#token=…`): fragments never reach a server,
 * a proxy log or a Referer header. The page takes it once and removes it from the address bar and
 * the history entry straight away, before anything else runs, so it isn't bookmarked or shared.
 */
export function takeLinkToken(location: Location, history: History): string | null {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get("token");
  if (token === null) return null;
  params.delete("token");
  const rest = params.toString();
  history.replaceState(history.state, "", `${location.pathname}${location.search}${rest ? `#${rest}` : ""}`);
  return token.trim() || null;
}
