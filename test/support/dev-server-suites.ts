import type { Stint } from "stint";
import { afterAll, beforeAll, expect } from "vitest";
import { describeApi } from "../http/api.suite.js";
import { describeAppRoutes } from "../unit/adapters/app-routes.suite.js";
import { TestBrowser } from "./browser.js";
import { useStint } from "./framework-bridge.js";

/**
 * API.md's suite and the app-route suite against a framework's dev server started once for
 * its file (Next.js, SvelteKit): each test's Stint becomes the app's (framework-bridge.ts).
 */
export function describeDevServer(name: string, baseUrl: () => string): void {
  describeApi(name, async (stint) => {
    useStint(stint);
    return { baseUrl: baseUrl(), fetch: (request) => fetch(request), close: () => stint.close() };
  });
  describeAppRoutes(name, async (stint) => {
    useStint(stint);
    return { baseUrl: baseUrl(), close: async () => undefined };
  });
}

/**
 * For a describe block of a dev server's pages: a Stint of its own (memory store), made the
 * app's before the block and closed after; the target answers redirects as they are. The
 * app's `POST /login` signs in with `{ user }`.
 */
export function pageSessions(baseUrl: () => string, secret: string) {
  let stint: Stint;
  let target: { baseUrl: string; fetch: (request: Request) => Promise<Response> };
  beforeAll(async () => {
    const { createStint, memoryStore } = await import("stint");
    stint = createStint({ store: memoryStore(), secret });
    useStint(stint);
    target = { baseUrl: baseUrl(), fetch: (request) => fetch(request, { redirect: "manual" }) };
  });
  afterAll(() => stint.close());
  return {
    target: () => target,
    stint: () => stint,
    /** A browser signed in as alice through the app's own route. */
    async signedIn(): Promise<TestBrowser> {
      const client = new TestBrowser(target);
      await client.get("/api/session/csrf-token");
      expect((await client.post("/login", { user: "alice" })).status).toBe(200);
      await client.get("/api/session");
      return client;
    },
  };
}
