import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import * as adapter from "stint/adapters/sveltekit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestBrowser } from "../support/browser.js";
import { describeDevServer, pageSessions } from "../support/dev-server-suites.js";
import { sharedModuleSource, shareModule } from "../support/framework-bridge.js";

/**
 * A real SvelteKit app (test/fixtures/sveltekit) on Vite's dev server, in this process, started
 * once for the file: its `hooks.server.ts` is `stintHandle(stint)`, its endpoints use the
 * guards, and each test's Stint is the app's (test/support/framework-bridge.ts).
 */
const root = fileURLToPath(new URL("../fixtures/sveltekit/", import.meta.url));
let app: { baseUrl: string; close(): Promise<void> };

beforeAll(async () => {
  shareModule("stint/adapters/sveltekit", adapter);
  // SvelteKit reads its config and writes its generated files (.svelte-kit/) in the working directory.
  const previous = process.cwd();
  process.chdir(root);
  const { sveltekit } = await import("@sveltejs/kit/vite");
  const vite = await import("vite");
  const dev = await vite.createServer({
    root,
    configFile: false,
    logLevel: "error",
    appType: "custom",
    server: { middlewareMode: true, hmr: false, watch: null },
    plugins: [
      {
        name: "stint-shared-adapter",
        enforce: "pre",
        resolveId: (id) => (id === "stint/adapters/sveltekit" ? "\0stint-shared:sveltekit" : undefined),
        load: (id) =>
          id === "\0stint-shared:sveltekit"
            ? sharedModuleSource("stint/adapters/sveltekit", Object.keys(adapter))
            : undefined,
      },
      sveltekit(),
    ],
  });
  const server: Server = createServer(dev.middlewares);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  app = {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await dev.close();
      process.chdir(previous);
    },
  };
}, 120_000);
afterAll(() => app?.close());

describeDevServer("sveltekit", () => app.baseUrl);

describe("SvelteKit pages (load and form actions)", () => {
  const pages = pageSessions(() => app.baseUrl, "sveltekit-secret-0123456789abcdefghijklmnop");
  const signedIn = pages.signedIn;

  it("a page's load reads locals.session, and redirects without a signed-in session", async () => {
    const anonymous = await new TestBrowser(pages.target()).get("/account");
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get("location")).toBe("/login");
    const page = await (await signedIn()).get("/account");
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/data-user[^>]*>alice</);
    expect(page.text).toMatch(/data-theme[^>]*>light</);
  });

  it("a form action's change is committed before the page answers", async () => {
    const client = await signedIn();
    // A form posted without JavaScript: SvelteKit answers with the page.
    const html = { accept: "text/html" };
    const saved = await client.send("POST", "/account?/theme", { form: { theme: "dark" }, headers: html });
    expect(saved.status).toBe(200);
    expect(saved.text).toMatch(/data-saved[^>]*>dark</);
    expect((await client.get("/api/session/state")).body.state).toEqual({ theme: "dark" });
    expect((await client.get("/account")).text).toMatch(/data-theme[^>]*>dark</);
  });
});
