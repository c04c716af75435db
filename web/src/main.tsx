/** Entry point: takes a one-time sign-in token from the URL, then renders the app. */
import { render } from "preact";
import { App } from "./components/App.tsx";
import { takeLinkToken } from "./lib/link-token.ts";
// uPlot's stylesheet first, so ours (one CSS file in the build) can adjust it.
import "uplot/dist/uPlot.min.css";
import "./styles.css";

const root = document.getElementById("app");
if (!root) throw new Error('index.html must contain <div id="app">');

// Before rendering, so the token leaves the address bar as early as possible.
const linkToken = takeLinkToken(window.location, window.history);
render(<App linkToken={linkToken} />, root);
