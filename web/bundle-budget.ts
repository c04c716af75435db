/**
 * Bundle budget, checked by the build rather than by hope: the JavaScript a first visit must
 * download (entry chunks and everything they import statically) may not exceed a gzip budget.
 * Lazily imported chunks don't count — that is the escape hatch for heavy, rarely used views.
 */
import { gzipSync } from "node:zlib";
import type { Logger, Plugin } from "vite";

export interface BundleBudgetOptions {
  /** Budget for the initial JavaScript, gzip-compressed, in bytes (1 kB = 1000 B, as Vite prints). */
  maxInitialJsGzipBytes: number;
}

interface Sized {
  raw: number;
  gzip: number;
}

export function bundleBudget(options: BundleBudgetOptions): Plugin {
  let logger: Logger | undefined;
  return {
    name: "pulse:bundle-budget",
    apply: "build",
    configResolved(config) {
      logger = config.logger;
    },
    generateBundle(_outputOptions, bundle) {
      const chunks = new Map<string, { code: string; imports: string[]; isEntry: boolean }>();
      const css: Sized = { raw: 0, gzip: 0 };
      for (const [fileName, output] of Object.entries(bundle)) {
        if (output.type === "chunk") {
          chunks.set(fileName, { code: output.code, imports: output.imports, isEntry: output.isEntry });
        } else if (fileName.endsWith(".css")) {
          add(css, output.source);
        }
      }

      // Entry chunks plus their static imports, transitively.
      const initial = new Set<string>();
      const pending = [...chunks].filter(([, c]) => c.isEntry).map(([name]) => name);
      for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
        if (initial.has(name)) continue;
        initial.add(name);
        pending.push(...(chunks.get(name)?.imports ?? []));
      }
      const js: Sized = { raw: 0, gzip: 0 };
      for (const name of initial) add(js, chunks.get(name)?.code ?? "");

      const budget = options.maxInitialJsGzipBytes;
      const line =
        `bundle budget: initial JS ${kb(js.gzip)} gzip (${kb(js.raw)} raw, ${initial.size} file(s)) ` +
        `of ${kb(budget)} allowed; CSS ${kb(css.gzip)} gzip (${kb(css.raw)} raw)`;
      if (js.gzip > budget) {
        this.error(
          `${line}. Over budget by ${kb(js.gzip - budget)}: move rarely used code behind a dynamic import() ` +
            "or drop a dependency.",
        );
      }
      (logger ?? console).info(line);
    },
  };
}

function add(total: Sized, source: string | Uint8Array): void {
  const bytes = typeof source === "string" ? new TextEncoder().encode(source) : source;
  total.raw += bytes.byteLength;
  total.gzip += gzipSync(bytes).byteLength;
}

function kb(bytes: number): string {
  return `${(bytes / 1000).toFixed(2)} kB`;
}
