/**
 * The page's first work, evaluated before the rest of the script (main.tsx imports it first): the
 * sign-in link's token leaves the address bar, and the first screen's answers are asked for in one
 * request — before the components, charts and their libraries are even evaluated, let alone
 * rendered. With a link token the request waits for its exchange for the session cookie; without
 * one it goes on the cookie the browser already has (a visitor without a session gets a 401 for
 * each answer, and the dashboard hands over to the sign-in form).
 */
import { fetchAnswers, signIn } from "./lib/api.ts";
import { expectFirstAnswers } from "./lib/first-screen.ts";
import { takeLinkToken } from "./lib/link-token.ts";
import { firstScreenUrls } from "./lib/overview.ts";
import { dayIn, parseView, reportingTimeZone } from "./lib/url-state.ts";

const linkToken = takeLinkToken(window.location, window.history);

/** The link token's exchange for the session cookie, under way; null without a link token. */
export const signingIn = linkToken ? signIn(linkToken) : null;

const view = parseView(window.location.search);
const today = dayIn(Date.now(), reportingTimeZone());
expectFirstAnswers(fetchAnswers(firstScreenUrls(view, today), signingIn ?? undefined));
// A link that fails to sign in leads to the form; the dashboard after it asks for itself.
signingIn?.catch(() => expectFirstAnswers(new Map()));
