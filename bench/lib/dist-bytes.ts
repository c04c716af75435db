/**
 * What a first visit to the built dashboard (web/dist) must download: the HTML, the scripts and
 * stylesheets it names (`<script src>`, `<link rel=stylesheet|modulepreload>`) and every chunk
 * those scripts import statically, transitively. Dynamically imported chunks are listed apart
 * (they are the page's way to keep rarely used code off the first load).
 *
 * Read from the files, not from Vite's report, so the bench measures whatever built the page.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, posix, relative } from "node:path";
import { gzipSync } from "node:zlib";

export interface Asset {
  /** Path as the browser asks for it, e.g. `/assets/index-abc.js`. */
  path: string;
  kind: "html" | "js" | "css" | "other";
  raw: number;
  gzip: number;
}

export interface DistBytes {
  html: Asset;
  /** Scripts and stylesheets a first visit downloads. */
  initial: Asset[];
  /** Every other JS/CSS file in the build (lazy chunks, unused files). */
  other: Asset[];
}

function kindOf(path: string): Asset["kind"] {
  if (path.endsWith(".html")) return "html";
  if (path.endsWith(".js") || path.endsWith(".mjs")) return "js";
  if (path.endsWith(".css")) return "css";
  return "other";
}

function measure(dist: string, path: string): Asset {
  const bytes = readFileSync(join(dist, path));
  return { path, kind: kindOf(path), raw: bytes.byteLength, gzip: gzipSync(bytes).byteLength };
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** Same-origin URLs named by the HTML's script and stylesheet/preload tags, in document order. */
function htmlReferences(html: string): string[] {
  const refs: string[] = [];
  for (const tag of html.match(/<(script|link)\b[^>]*>/gi) ?? []) {
    const isScript = /^<script/i.test(tag);
    const rel = /\brel\s*=\s*["']?([^"'\s>]+)/i.exec(tag)?.[1]?.toLowerCase();
    if (!isScript && rel !== "stylesheet" && rel !== "modulepreload" && rel !== "preload") continue;
    const url = /\b(?:src|href)\s*=\s*["']([^"']+)["']/i.exec(tag)?.[1];
    if (url?.startsWith("/") && !url.startsWith("//")) refs.push(url.split(/[?#]/)[0]!);
  }
  return refs;
}

/**
 * Relative specifiers of static imports in (minified) ES module output: `import{a}from"./x.js"`,
 * `import"./x.js"`, `export*from"./x.js"`. Not `import("./x.js")`, which is lazy.
 */
function staticImports(code: string): { eager: string[]; lazy: string[] } {
  const eager = [
    ...code.matchAll(/(?:\bimport|\bexport)\s*(?:[\w$*{}\s,]*?\bfrom\s*)?["'](\.{1,2}\/[^"']+)["']/g),
  ];
  const lazy = [...code.matchAll(/\bimport\s*\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g)];
  return { eager: eager.map((m) => m[1]!), lazy: lazy.map((m) => m[1]!) };
}

export function distBytes(dist: string): DistBytes {
  const html = measure(dist, "index.html");
  const initial = new Map<string, Asset>();
  const pending = htmlReferences(readFileSync(join(dist, "index.html"), "utf8"));
  for (let url = pending.shift(); url !== undefined; url = pending.shift()) {
    if (initial.has(url)) continue;
    const path = url.replace(/^\//, "");
    const asset = measure(dist, path);
    initial.set(url, { ...asset, path: url });
    if (asset.kind !== "js") continue;
    const { eager } = staticImports(readFileSync(join(dist, path), "utf8"));
    pending.push(...eager.map((spec) => posix.join(dirname(url), spec)));
  }
  const other = walk(dist)
    .map((file) => `/${relative(dist, file).split("\\").join("/")}`)
    .filter((url) => !initial.has(url) && (kindOf(url) === "js" || kindOf(url) === "css"))
    .map((url) => ({ ...measure(dist, url.slice(1)), path: url }));
  return { html: { ...html, path: "/" }, initial: [...initial.values()], other };
}

export function totals(assets: Asset[], kind: Asset["kind"]): { raw: number; gzip: number; files: number } {
  const of = assets.filter((a) => a.kind === kind);
  return {
    raw: of.reduce((sum, a) => sum + a.raw, 0),
    gzip: of.reduce((sum, a) => sum + a.gzip, 0),
    files: of.length,
  };
}
