import { writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import * as adapter from "stint/adapters/next";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestBrowser } from "../support/browser.js";
import { describeDevServer, pageSessions } from "../support/dev-server-suites.js";
import { sharedModuleSource, shareModule } from "../support/framework-bridge.js";

/**
 * A real Next.js app (test/fixtures/next: App Router, Turbopack) on Next's own server through
 * its programmatic API (`next({ dev })` + `getRequestHandler()`), in this process and started
 * once for the file. Its `app/api/[...stint]/route.ts` serves API.md, its app routes use
 * `route()` and the guards, its page and server action `getSession()`/`commitSession()`; each
 * test's Stint is the app's (test/support/framework-bridge.ts).
 */
const root = fileURLToPath(new URL("../fixtures/next/", import.meta.url));

/**
 * `next()`, typed here: importing "next" for its types would bring its global declarations
 * (a required `process.env.NODE_ENV`) into every file of the project.
 */
type NextFactory = (options: { dev: boolean; dir: string; hostname: string; port: number }) => {
  prepare(): Promise<void>;
  getRequestHandler(): (request: IncomingMessage, response: ServerResponse) => Promise<void>;
  close(): Promise<void>;
};
const next = createRequire(import.meta.url)("next") as NextFactory;
let app: { baseUrl: string; close(): Promise<void> };

beforeAll(async () => {
  shareModule("stint/adapters/next", adapter);
  writeFileSync(`${root}.stint-shared.mjs`, sharedModuleSource("stint/adapters/next", Object.keys(adapter)));
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const nextApp = next({ dev: true, dir: root, hostname: "127.0.0.1", port });
  await nextApp.prepare();
  const handle = nextApp.getRequestHandler();
  server.on("request", (request, response) => void handle(request, response));
  app = {
    baseUrl: `http://127.0.0.1:${port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await nextApp.close();
    },
  };
}, 120_000);
afterAll(() => app?.close());

describeDevServer("next", () => app.baseUrl);

describe("Next.js server components, server actions and the proxy check", () => {
  const pages = pageSessions(() => app.baseUrl, "next-secret-0123456789abcdefghijklmnopqrstuv");
  const signedIn = pages.signedIn;

  it("the proxy sends a visitor without a session cookie to sign in; a well-formed forged one passes it, and the page refuses", async () => {
    const none = await new TestBrowser(pages.target()).get("/account");
    expect(none.status).toBe(307);
    expect(new URL(none.headers.get("location")!, app.baseUrl).search).toBe("?from=proxy");

    const forged = new TestBrowser(pages.target());
    forged.cookies.set("stint_session", `${"A".repeat(22)}.${"B".repeat(43)}`);
    const refused = await forged.get("/account");
    expect(refused.status).toBe(307);
    expect(new URL(refused.headers.get("location")!, app.baseUrl).pathname).toBe("/login");
    expect(new URL(refused.headers.get("location")!, app.baseUrl).search).toBe("");
  });

  it("a server component reads the session, and sets no cookie", async () => {
    const client = await signedIn();
    const page = await client.get("/account");
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/data-user="">alice</);
    expect(page.text).toMatch(/data-theme="">light</);
    expect(page.setCookies).toEqual([]);
  });

  it("a server action changes the session and commits it through cookies()", async () => {
    const client = await signedIn();
    const page = await client.get("/account");
    // The form works without JavaScript: it posts the action's id as a hidden field.
    const actionField = /name="(\$ACTION_ID_[^"]+)"/.exec(page.text)?.[1];
    expect(actionField).toBeDefined();
    const form = new FormData();
    form.set(actionField!, "");
    form.set("theme", "dark");
    const posted = await pages.target().fetch(
      new Request(new URL("/account", app.baseUrl), {
        method: "POST",
        headers: { cookie: client.cookieHeader, origin: new URL(app.baseUrl).origin },
        body: form,
      }),
    );
    expect(posted.status).toBeLessThan(400);
    expect((await client.get("/api/session/state")).body.state).toEqual({ theme: "dark" });
    expect((await client.get("/account")).text).toMatch(/data-theme="">dark</);
  });
});
