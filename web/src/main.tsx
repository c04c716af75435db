/**
 * Entry point: takes a one-time sign-in token from the URL, asks for the first screen's answers in
 * one request, then renders the app.
 */
import { render } from "preact";
import { App } from "./components/App.tsx";
import { fetchAnswers, signIn } from "./lib/api.ts";
import { expectFirstAnswers } from "./lib/first-screen.ts";
import { takeLinkToken } from "./lib/link-token.ts";
import { firstScreenUrls } from "./lib/overview.ts";
import { dayIn, parseView, reportingTimeZone } from "./lib/url-state.ts";
// uPlot's stylesheet first, so ours (one CSS file in the build) can adjust it.
import "uplot/dist/uPlot.min.css";
import "./styles.css";

const root = document.getElementById("app");
if (!root) throw new Error('index.html must contain <div id="app">');

// Before rendering, so the token leaves the address bar as early as possible.
const linkToken = takeLinkToken(window.location, window.history);
const signingIn = linkToken ? signIn(linkToken) : null;
// The first screen's figures go out now, not after the first render and its effects: with a link
// token once it is exchanged for the session cookie, else on the cookie the browser already has.
// (A visitor without a session gets a 401 for each, and the dashboard hands over to the sign-in form.)
const view = parseView(window.location.search);
const today = dayIn(Date.now(), reportingTimeZone());
expectFirstAnswers(fetchAnswers(firstScreenUrls(view, today), signingIn ?? undefined));
// A link that fails to sign in leads to the form; the dashboard after it asks for itself.
signingIn?.catch(() => expectFirstAnswers(new Map()));
render(<App signingIn={signingIn} />, root);
