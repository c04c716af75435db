/**
 * The auth matrix's list of endpoints (test/support/auth-matrix.ts, also the README's table) is
 * the app's: every route registered on the Hono app is in it, and nothing else.
 */
import { describe, expect, it } from "vitest";
import { ENDPOINTS } from "../../test/support/auth-matrix.ts";
import { app } from "./app.ts";

describe("the documented endpoints", () => {
  it("are exactly the app's routes", () => {
    const routes = new Set(
      app.routes
        .filter((r) => r.method !== "ALL" && r.path.startsWith("/api/"))
        .map((r) => `${r.method} ${r.path}`),
    );
    const documented = new Set(ENDPOINTS.map((e) => `${e.method} ${e.route}`));
    expect([...documented].sort()).toEqual([...routes].sort());
  });
});
