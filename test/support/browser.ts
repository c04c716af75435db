/**
 * A headless Chromium for the browser tests and benches, driven by playwright-core (which never
 * downloads a browser). In order of preference:
 *
 *   1. `CHROMIUM_PATH`, when set;
 *   2. the system's headless shell (`/usr/bin/chromium-headless-shell`, Debian's package
 *      `chromium-headless-shell`, which CI installs): Chromium's engine without the browser's own
 *      interface, which is what Playwright runs headless by default. The full browser in headless
 *      mode builds its address-bar popup (a WebUI of its own, hundreds of modules) for every new
 *      context, which on two cores takes much of a cold load's CPU (README, "The browser the bench
 *      drives");
 *   3. the system's Chromium (`/usr/bin/chromium`, Debian's package);
 *   4. the Chromium that the `@sparticuz/chromium` npm package carries inside it (brotli-packed,
 *      a headless shell too; it needs only glibc, expat and libgcc, so it runs on a machine with
 *      nothing but Node and npm). It is unpacked once into
 *      `node_modules/.cache/pulse-chromium/<version>/`.
 *
 * The flags keep the browser from reaching for a network this machine does not have.
 */
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { createBrotliDecompress } from "node:zlib";
import { type Browser, chromium, type Page } from "playwright-core";

const SYSTEM_SHELL = "/usr/bin/chromium-headless-shell";
const SYSTEM_CHROMIUM = "/usr/bin/chromium";
const root = fileURLToPath(new URL("../..", import.meta.url));

export interface ChromiumBinary {
  path: string;
  from: "CHROMIUM_PATH" | "system headless shell" | "system" | "@sparticuz/chromium";
}

/** The package's folder of packed files, when it is installed and ships a binary for this machine. */
function packagedBin(): string | undefined {
  if (process.platform !== "linux" || process.arch !== "x64") return undefined;
  try {
    const entry = fileURLToPath(import.meta.resolve("@sparticuz/chromium"));
    const bin = join(dirname(entry), "..", "bin");
    return existsSync(join(bin, "chromium.br")) ? bin : undefined;
  } catch {
    return undefined;
  }
}

/** Whether any of them is there (without unpacking anything). */
export function chromiumAvailable(): boolean {
  if (process.env.CHROMIUM_PATH) return existsSync(process.env.CHROMIUM_PATH);
  return existsSync(SYSTEM_SHELL) || existsSync(SYSTEM_CHROMIUM) || packagedBin() !== undefined;
}

/** Where the browser is, unpacking the packaged one on first use; null when there is none. */
export async function findChromium(): Promise<ChromiumBinary | null> {
  const chosen = process.env.CHROMIUM_PATH;
  if (chosen) return existsSync(chosen) ? { path: chosen, from: "CHROMIUM_PATH" } : null;
  if (existsSync(SYSTEM_SHELL)) return { path: SYSTEM_SHELL, from: "system headless shell" };
  if (existsSync(SYSTEM_CHROMIUM)) return { path: SYSTEM_CHROMIUM, from: "system" };
  const bin = packagedBin();
  if (!bin) return null;
  const version = JSON.parse(readFileSync(join(bin, "..", "package.json"), "utf8")).version as string;
  const dir = join(root, "node_modules", ".cache", "pulse-chromium", version);
  const path = join(dir, "chromium");
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true });
    // Unpacked under a name of its own, then renamed: two test files starting at once never run a
    // half-written binary.
    const partial = `${path}.${process.pid}.partial`;
    await pipeline(
      createReadStream(join(bin, "chromium.br")),
      createBrotliDecompress({ chunkSize: 2 ** 21 }),
      createWriteStream(partial, { mode: 0o755 }),
    );
    renameSync(partial, path);
  }
  return { path, from: "@sparticuz/chromium" };
}

/**
 * A machine without fontconfig's configuration (a slim container) would render no text at all:
 * give the packaged browser the fonts its package carries.
 */
async function packagedFonts(): Promise<Record<string, string>> {
  const bin = packagedBin();
  if (existsSync("/etc/fonts/fonts.conf") || !bin) return {};
  const { inflate } = await import("@sparticuz/chromium");
  const fonts = await inflate(join(bin, "fonts.tar.br"));
  const conf = join(fonts, "..", "pulse-fonts.conf");
  writeFileSync(conf, `<?xml version="1.0"?>\n<fontconfig><dir>${fonts}</dir></fontconfig>\n`);
  return { FONTCONFIG_FILE: conf };
}

export async function launchChromium(): Promise<Browser> {
  const binary = await findChromium();
  if (!binary) {
    throw new Error(
      "No Chromium: run `npm install` (it brings @sparticuz/chromium), install Debian's chromium, or set CHROMIUM_PATH",
    );
  }
  const fonts = binary.from === "@sparticuz/chromium" ? await packagedFonts() : {};
  return chromium.launch({
    executablePath: binary.path,
    // With LANG=C the browser would call its locale "en-US@posix", which Intl rejects.
    env: { ...process.env, LANG: "en_US.UTF-8", ...fonts } as Record<string, string>,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * For a browser test file: whether to run it. Without any Chromium the tests are skipped outside
 * CI, loudly; in CI (`CI` set) they run and fail, so a green CI always means they passed.
 */
export function browserTestsRun(): boolean {
  if (chromiumAvailable() || process.env.CI) return true;
  console.warn(
    [
      "",
      "!".repeat(78),
      "!! BROWSER TESTS SKIPPED: no Chromium here (no CHROMIUM_PATH, no /usr/bin/chromium, and the",
      "!! @sparticuz/chromium package has no binary for this machine). CI requires them.",
      "!".repeat(78),
      "",
    ].join("\n"),
  );
  return false;
}

/**
 * Signs the page's browser context in as the sign-in screen does (`POST /api/v1/session` from the
 * page's own origin: a __Host- cookie set over CDP for an http:// origin is refused), from a static
 * file of that origin; resolves with the answer's status.
 */
export async function signInFromPage(page: Page, origin: string, token: string): Promise<number> {
  await page.goto(`${origin}/theme-init.js`);
  return page.evaluate(
    async (token) =>
      (
        await fetch("/api/v1/session", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ token }),
        })
      ).status,
    token,
  );
}
