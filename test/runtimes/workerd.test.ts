import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Answer, cookieAttributes, TestBrowser } from "../support/browser.js";
import { bundleFor, startProcess } from "../support/runtime-host.js";

/**
 * Stint's core in workerd (the Cloudflare Workers runtime) with the memory store: the "stint"
 * entry bundled by esbuild into a Worker (test/fixtures/runtimes/worker.ts), run by the workerd
 * binary and driven over HTTP, with `nodejs_compat` (node:crypto) and without it (Web Crypto's
 * random numbers, SHA-256 and HMAC in JavaScript). Accounts are not part of it: their argon2 is
 * a native module, which Workers cannot load.
 */
const root = fileURLToPath(new URL("../../", import.meta.url));

/** workerd serving the worker bundle with these compatibility flags, as a test target. */
function workerd(flags: string[]) {
  let server: Awaited<ReturnType<typeof startProcess>> | undefined;
  const target = { baseUrl: "", fetch: (request: Request) => fetch(request) };
  beforeAll(async () => {
    const bundle = await bundleFor("workerd", "test/fixtures/runtimes/worker.ts", { worker: true });
    const port = await freePort();
    const config = bundle.replace(/\.mjs$/, `-${flags.length}.capnp`);
    writeFileSync(
      config,
      `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .stint)],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const stint :Workerd.Worker = (
  modules = [(name = "worker", esModule = embed "workerd.mjs")],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = [${flags.map((flag) => JSON.stringify(flag)).join(", ")}],
);
`,
    );
    server = await startProcess(`${root}node_modules/.bin/workerd`, ["serve", config, "--verbose"]);
    target.baseUrl = server.baseUrl;
  }, 60_000);
  afterAll(() => server?.stop());
  return target;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function expectError(answer: Answer, status: number, code: string): void {
  expect(answer.status).toBe(status);
  expect(answer.body?.error?.code).toBe(code);
  expect(answer.headers.get("cache-control")).toBe("no-store");
}

describe.each([
  { name: "with nodejs_compat", flags: ["nodejs_compat"] },
  { name: "without node:crypto", flags: [] as string[] },
])("Stint in workerd (memory store), $name", ({ flags }) => {
  const target = workerd(flags);

  it("creates a session for a CSRF token, with API.md's cookie, and reads it back", async () => {
    const client = new TestBrowser(target);
    expectError(await client.get("/api/session"), 401, "no_session");
    const token = await client.get("/api/session/csrf-token");
    expect(token.status).toBe(200);
    expect(token.setCookies).toHaveLength(1);
    expect(cookieAttributes(token.setCookies[0]!).httponly).toBe(true);
    const info = await client.get("/api/session");
    expect(info.status).toBe(200);
    expect(info.body.session.id).toBe(client.token()!.split(".")[0]);
    expect(info.body.csrfToken).toBe(token.body.csrfToken);
  });

  it("changes state with the CSRF token, refuses it without, and extends", async () => {
    const client = new TestBrowser(target);
    await client.get("/api/session/csrf-token");
    expectError(
      await client.patch("/api/session/state", { set: { theme: "dark" } }, { csrf: false }),
      403,
      "csrf_invalid",
    );
    expectError(
      await client.patch("/api/session/state", { set: { theme: "dark" } }, { origin: "https://evil.example" }),
      403,
      "origin_mismatch",
    );
    const patched = await client.patch("/api/session/state", { set: { theme: "dark" } });
    expect(patched.status).toBe(200);
    expect(patched.body.state).toEqual({ theme: "dark" });
    expect((await client.get("/api/session/state")).body.state).toEqual({ theme: "dark" });
    expect((await client.post("/api/session/extend", {})).status).toBe(200);
  });

  it("logs out: 204, the cookie cleared, the token dead", async () => {
    const client = new TestBrowser(target);
    await client.get("/api/session/csrf-token");
    const token = client.token()!;
    const logout = await client.delete("/api/session");
    expect(logout.status).toBe(204);
    expect(cookieAttributes(logout.setCookies[0]!)["max-age"]).toBe("0");
    const replay = new TestBrowser(target);
    replay.cookies.set("stint_session", token);
    expectError(await replay.get("/api/session"), 401, "no_session");
  });

  it("reports health; /metrics says it is not available (prom-client needs node:cluster)", async () => {
    const health = await new TestBrowser(target).get("/api/health");
    expect(health.status).toBe(200);
    expect(health.body.store).toMatchObject({ kind: "memory", ok: true });
    expectError(await new TestBrowser(target).get("/metrics"), 404, "not_found");
  });
});
