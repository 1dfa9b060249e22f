import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestBrowser } from "../support/browser.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

/**
 * The Next.js and SvelteKit examples are apps of their own (examples/<name>/serve.ts starts
 * one) that import "stint" as a published app would: the package's built files (`npm run build`,
 * which `npm test` runs first), found through the package's own name.
 */
function script(name: string): string {
  const app = `examples/${name}/serve.ts`;
  if (!existsSync(`${root}${app}`)) return `examples/${name}.ts`;
  if (!existsSync(`${root}dist/index.js`)) execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: root });
  return app;
}

/** Starts the example as a user would (own process, PORT=0) and waits for its URL. */
async function start(name: string): Promise<{ child: ChildProcess; baseUrl: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", script(name)], {
    cwd: root,
    env: { ...process.env, PORT: "0", STINT_DB: ":memory:", NEXT_TELEMETRY_DISABLED: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const baseUrl = await new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", (chunk) => {
      output += chunk;
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url) resolve(url.replace(/\/$/, ""));
    });
    child.stderr?.on("data", (chunk) => {
      output += chunk;
    });
    child.once("exit", (code) => reject(new Error(`examples/${name}.ts exited (${code}):\n${output}`)));
  });
  return { child, baseUrl };
}

function describeExample(name: string): void {
  describe(`examples/${name}`, () => {
    let running: { child: ChildProcess; baseUrl: string };
    let target: { baseUrl: string; fetch: (request: Request) => Promise<Response> };

    beforeAll(async () => {
      running = await start(name);
      target = { baseUrl: running.baseUrl, fetch: (request) => fetch(request) };
    });
    afterAll(async () => {
      const exited = new Promise((resolve) => running?.child.once("exit", resolve));
      running?.child.kill();
      await exited;
    });

    it("answers its protected route with 401 no_session without a session", async () => {
      const answer = await new TestBrowser(target).get("/me");
      expect(answer.status).toBe(401);
      expect(answer.body.error.code).toBe("no_session");
    });

    it("serves it after a sign-in, and writes session state with the CSRF token from the API", async () => {
      const client = new TestBrowser(target);
      const login = await client.post("/login", { name: "alice" });
      expect(login.status).toBe(200);
      expect(login.setCookies.some((line) => line.startsWith("stint_session="))).toBe(true);
      const me = await client.get("/me");
      expect(me.status).toBe(200);
      expect(me.body).toEqual({ user: "alice", state: {} });

      // The API mounted beside the app sees the same session (and hands out its CSRF token).
      expect((await client.get("/api/session")).body.session.userId).toBe("alice");
      expectError(await client.post("/theme", { theme: "dark" }, { csrf: false }), 403, "csrf_invalid");
      const theme = await client.post("/theme", { theme: "dark" });
      expect(theme.status).toBe(200);
      expect((await client.get("/me")).body.state).toEqual({ theme: "dark" });
    });
  });
}

function expectError(answer: { status: number; body: { error?: { code?: string } } }, status: number, code: string) {
  expect(answer.status).toBe(status);
  expect(answer.body.error?.code).toBe(code);
}

describeExample("express");
describeExample("fastify");
describeExample("hono");
describeExample("koa");
describeExample("next");
describeExample("sveltekit");
describeExample("node");
