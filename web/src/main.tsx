/**
 * Entry point: the first request goes out (`first-request.ts`, evaluated first: a side-effect
 * import is never reordered), then the app renders.
 */
import "./first-request.ts";
import { render } from "preact";
import { App } from "./components/App.tsx";
import { signingIn } from "./first-request.ts";
// uPlot's stylesheet first, so ours (one CSS file in the build) can adjust it.
import "uplot/dist/uPlot.min.css";
import "./styles.css";

const root = document.getElementById("app");
if (!root) throw new Error('index.html must contain <div id="app">');

render(<App signingIn={signingIn} />, root);
