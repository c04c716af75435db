/**
 * Builds the dashboard (web/ → web/dist), which wrangler serves as static assets beside the Worker.
 *
 * JSX: Vite 8 transforms TS/JSX with Oxc, using the automatic runtime with `preact` as import source,
 * so the bundle imports `preact/jsx-runtime` and never React. Vite would also infer this from
 * tsconfig.base.json (`jsx: react-jsx`, `jsxImportSource: preact`); it is stated here as well so
 * the build can't quietly switch runtimes if the tsconfig chain changes. No @preact/preset-vite:
 * it adds HMR and devtools wiring we don't need for a handful of components.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import { bundleBudget } from "./bundle-budget.ts";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  oxc: {
    jsx: { runtime: "automatic", importSource: "preact" },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // One entry chunk, and browsers that run this page all support modulepreload: no polyfill.
    modulePreload: { polyfill: false },
    // Every asset is content-hashed, so these names can be cached forever.
    assetsDir: "assets",
    // Everything the first screen runs in one file: left alone, Rolldown moves the modules the lazy
    // chunks share with it (preact, its hooks) into a second file the page must also fetch.
    rolldownOptions: { output: { codeSplitting: { groups: [{ name: "index", tags: ["$initial"] }] } } },
  },
  server: {
    // `vite --config web/vite.config.ts` for UI work: the API and the live socket come from
    // `wrangler dev` (PULSE_API overrides its address).
    proxy: {
      "/api": { target: process.env.PULSE_API ?? "http://127.0.0.1:8787", ws: true, changeOrigin: true },
    },
  },
  plugins: [bundleBudget({ maxInitialJsGzipBytes: 60_000 })],
});
