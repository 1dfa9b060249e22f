import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TestBrowser } from "../support/browser.js";
import { startServe } from "../support/cli.js";
import { header, rawRequest } from "../support/raw-http.js";
import { freePort } from "../support/services.js";

/** Issue 10 against the built `stint serve`, as an attacker and an operator would meet it. */

const PASSWORD = "correct horse battery";
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "stint-serve-hard-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("stint serve under hostile requests", () => {
  it("one TRACE (or CONNECT) request, with no session, never stops the server", async () => {
    const server = await startServe(["--port", String(await freePort())], { cwd: tempDir(), built: true });
    try {
      // [method, target, status, Allow]: the demo's pages answer like the API's routes.
      for (const [method, target, status, allow] of [
        ["TRACE", "/api/session", 405, "GET, HEAD, DELETE"],
        ["TRACE", "/", 405, "GET, HEAD"],
        ["TRACE", "/api/anything", 404, undefined],
        ["CONNECT", "/api/session", 405, "GET, HEAD, DELETE"],
        ["CONNECT", "localhost:22", 404, undefined],
      ] as const) {
        const answer = await rawRequest(server.url, [`${method} ${target} HTTP/1.1`, "Host: localhost"]);
        expect(answer.status, `${method} ${target}`).toBe(status);
        expect(header(answer, "allow")).toBe(allow);
        expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
      }
      expect(server.child.exitCode).toBeNull();
    } finally {
      expect(await server.stop()).toEqual({ code: 0, signal: null });
    }
    expect(server.stderr).not.toMatch(/TypeError|unsupported/);
  });
});

describe("stint serve files", () => {
  it("creates the SQLite file, its -wal/-shm, the users and the audit log 0600 wherever they are", async () => {
    const cwd = tempDir();
    const elsewhere = join(cwd, "var", "lib", "stint");
    const logs = join(cwd, "logs");
    const server = await startServe(
      [
        "--port",
        String(await freePort()),
        "--store",
        `sqlite:${join(elsewhere, "sessions.db")}`,
        "--audit-log",
        join(logs, "audit.log"),
      ],
      { cwd, built: true, env: { STINT_SECRET: "serve-hardening-secret-0123456789abcdefghijkl" } },
    );
    try {
      const browser = new TestBrowser({ baseUrl: server.url, fetch: (request) => fetch(request) });
      expect((await browser.post("/api/auth/register", { username: "alice", password: PASSWORD })).status).toBe(201);
      expect((await browser.patch("/api/session/state", { set: { written: true } })).status).toBe(200);
      const files = readdirSync(elsewhere).map((name) => join(elsewhere, name));
      expect(files.map((file) => file.slice(elsewhere.length + 1)).sort()).toEqual(
        ["sessions.db", "sessions.db-shm", "sessions.db-wal"].sort(),
      );
      for (const file of [...files, join(logs, "audit.log")]) {
        expect((statSync(file).mode & 0o777).toString(8), file).toBe("600");
      }
      expect(statSync(elsewhere).mode & 0o077).toBe(0);
    } finally {
      expect(await server.stop()).toEqual({ code: 0, signal: null });
    }
  });
});

describe("stint serve --trust-proxy [HOPS]", () => {
  /** Registers with the given X-Forwarded-For and reads back the address the device list shows. */
  async function addressShown(url: string, username: string, forwardedFor: string): Promise<string> {
    const body = JSON.stringify({ username, password: PASSWORD });
    const answer = await rawRequest(
      url,
      [
        "POST /api/auth/register HTTP/1.1",
        "Host: localhost",
        "Content-Type: application/json",
        `Content-Length: ${body.length}`,
        `X-Forwarded-For: ${forwardedFor}`,
      ],
      body,
    );
    expect(answer.status).toBe(201);
    const cookie = header(answer, "set-cookie")?.split(";")[0] ?? "";
    const devices = await rawRequest(url, ["GET /api/sessions HTTP/1.1", "Host: localhost", `Cookie: ${cookie}`]);
    return JSON.parse(devices.body).sessions[0].ip;
  }

  it("alone believes one proxy, with a number that many; never the client-written leftmost entry", async () => {
    const chain = "6.6.6.6, 198.51.100.7, 203.0.113.9";
    for (const [args, expected] of [
      [["--trust-proxy"], "203.0.113.9"],
      [["--trust-proxy", "2"], "198.51.100.7"],
      [[], "127.0.0.1"],
    ] as const) {
      const server = await startServe(["--port", String(await freePort()), ...args, "--store", "memory:"], {
        cwd: tempDir(),
        built: true,
      });
      try {
        expect(await addressShown(server.url, `user_${args.length}`, chain), args.join(" ")).toBe(expected);
      } finally {
        await server.stop();
      }
    }
  });
});
