/**
 * The dashboard under its Content-Security-Policy, served the way production serves it (Workers
 * static assets with `_headers`, the API by the Worker): the headers are on the page, its assets
 * and the API, and in Chromium the page signs in, goes live and switches theme with no CSP
 * violation — the policy allows exactly what the page needs.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserTestsRun, launchChromium } from "../support/browser.ts";
import { type Stack, startStack } from "../support/stack.ts";

let stack: Stack;
let browser: Browser | undefined;

beforeAll(async () => {
  stack = await startStack();
  if (browserTestsRun()) browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

function expectSecurityHeaders(response: Response) {
  const csp = response.headers.get("content-security-policy") ?? "";
  expect(csp).toContain("frame-ancestors 'none'");
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  expect(response.headers.get("referrer-policy")).toBe("no-referrer");
  return csp;
}

describe("security headers", () => {
  it("the page and its assets: a strict CSP with no inline script, nosniff, no referrer, no framing", async () => {
    const page = await fetch(new URL("/", stack.url));
    expect(page.status).toBe(200);
    const csp = expectSecurityHeaders(page);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    const html = await page.text();
    // Every script is a file of this origin: no inline code for the CSP to allow.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const script = /<script type="module"[^>]*src="([^"]+)"/.exec(html)?.[1];
    expect(script).toBeTruthy();
    expectSecurityHeaders(await fetch(new URL(script ?? "/", stack.url)));
    expectSecurityHeaders(await fetch(new URL("/theme-init.js", stack.url)));
    // A deep link answered by the single-page fallback gets them too.
    expectSecurityHeaders(await fetch(new URL("/some/deep/link", stack.url)));
  });

  it("API answers: nosniff, no referrer and a CSP that allows nothing", async () => {
    const unauthenticated = await fetch(new URL("/api/v1/kpis/summary", stack.url));
    expect(unauthenticated.status).toBe(401);
    expect(expectSecurityHeaders(unauthenticated)).toContain("default-src 'none'");
    const summary = await fetch(new URL("/api/v1/kpis/summary", stack.url), {
      headers: { authorization: `Bearer ${stack.viewerToken}` },
    });
    expect(summary.status).toBe(200);
    expectSecurityHeaders(summary);
  });

  it.runIf(browserTestsRun())("in Chromium the page works under the policy: no violation", async () => {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { cspViolations: string[] }).cspViolations = seen;
      document.addEventListener("securitypolicyviolation", (e) =>
        seen.push(`${e.violatedDirective} ${e.blockedURI}`),
      );
    });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" && /Content Security Policy/i.test(m.text())) consoleErrors.push(m.text());
    });
    // A stored theme is applied before first paint by theme-init.js (a file the CSP allows).
    await context.addInitScript(() => localStorage.setItem("pulse-theme", "dark"));
    await page.goto(`${stack.url.origin}/#token=${stack.viewerToken}`);
    await expect
      .poll(() => page.getByTestId("connection").textContent(), { timeout: 15_000 })
      .toMatch(/live/i);
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
    await page.getByTestId("tile-revenue").first().waitFor();
    const violations = await page.evaluate(
      () => (window as unknown as { cspViolations: string[] }).cspViolations,
    );
    expect(violations).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await context.close();
  });
});
