import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { TestBrowser } from "../support/browser.js";
import { type ServeProcess, startServe } from "../support/cli.js";
import { freePort } from "../support/services.js";

/**
 * Issue 10: crash safety of the embedded default. The built `stint serve` on SQLite takes
 * concurrent writes (registrations, sign-ins, state PATCHes) and is SIGKILLed in the middle
 * of them. Restarted on the same data directory, every write it acknowledged with a 2xx is
 * there, and SQLite's own integrity check passes.
 */

const PASSWORD = "correct horse battery";
const SECRET = "crash-test-secret-0123456789abcdefghijklmnopqrstuvwxyz";
/** Writes acknowledged before the kill: enough that it lands in the middle of many more. */
const ACKED_BEFORE_KILL = 150;
const PATCH_CLIENTS = 6;
const ACCOUNT_CLIENTS = 2;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface PatchClient {
  browser: TestBrowser;
  /** Highest counter a PATCH answered 200 for, and the highest sent. */
  acked: number;
  sent: number;
}

describe("stint serve on SQLite, SIGKILLed under concurrent writes", () => {
  it("keeps every acknowledged write, and the file passes PRAGMA integrity_check", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "stint-crash-"));
    dirs.push(cwd);
    const dbPath = join(cwd, "data", "stint.db");
    const start = async () =>
      startServe(["--port", String(await freePort()), "--store", `sqlite:${dbPath}`], {
        cwd,
        built: true,
        env: { STINT_SECRET: SECRET },
      });
    const target = { baseUrl: "", fetch: (request: Request) => fetch(request) };
    let server: ServeProcess = await start();
    target.baseUrl = server.url;

    const patchers: PatchClient[] = [];
    for (let i = 0; i < PATCH_CLIENTS; i++) {
      const browser = new TestBrowser(target, `Patcher/${i}`);
      expect((await browser.post("/api/auth/register", { username: `patcher${i}`, password: PASSWORD })).status).toBe(
        201,
      );
      patchers.push({ browser, acked: 0, sent: 0 });
    }
    /** Accounts and sign-ins answered 2xx, with the browser holding each sign-in's cookie. */
    const registered: string[] = [];
    const signedIn: Array<{ browser: TestBrowser; sessionId: string }> = [];
    let acked = 0;
    let killed = false;

    const patchLoop = async (client: PatchClient) => {
      while (!killed) {
        const value = ++client.sent;
        try {
          const answer = await client.browser.patch("/api/session/state", {
            set: { counter: value, [`k${value}`]: 1 },
          });
          if (answer.status === 200) {
            client.acked = value;
            acked++;
          }
        } catch {
          // The server is gone: this write was never acknowledged.
        }
      }
    };
    const accountLoop = async (index: number) => {
      for (let n = 0; !killed; n++) {
        const username = `account${index}_${n}`;
        try {
          const created = await new TestBrowser(target).post("/api/auth/register", { username, password: PASSWORD });
          if (created.status !== 201) continue;
          registered.push(username);
          acked++;
          const browser = new TestBrowser(target, `Device/${index}/${n}`);
          const login = await browser.post("/api/auth/login", { username, password: PASSWORD });
          if (login.status === 200) {
            signedIn.push({ browser, sessionId: login.body.session.id });
            acked++;
          }
        } catch {
          // The server is gone.
        }
      }
    };
    const loops = [...patchers.map(patchLoop), ...Array.from({ length: ACCOUNT_CLIENTS }, (_, i) => accountLoop(i))];

    const deadline = Date.now() + 60_000;
    while (acked < ACKED_BEFORE_KILL && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(acked).toBeGreaterThanOrEqual(ACKED_BEFORE_KILL);
    server.child.kill("SIGKILL");
    const exit = await server.waitExit();
    killed = true;
    await Promise.all(loops);
    expect(exit.signal).toBe("SIGKILL");

    // The file as the crash left it (opening it replays the write-ahead log).
    const database = new Database(dbPath);
    try {
      expect(database.pragma("integrity_check", { simple: true })).toBe("ok");
    } finally {
      database.close();
    }

    server = await start();
    target.baseUrl = server.url;
    try {
      for (const client of patchers) {
        const state = await client.browser.get("/api/session/state");
        expect(state.status).toBe(200);
        // A PATCH whose answer was lost may have been applied; an acknowledged one always was.
        expect(state.body.state.counter).toBeGreaterThanOrEqual(client.acked);
        expect(state.body.state.counter).toBeLessThanOrEqual(client.sent);
        for (let value = 1; value <= client.acked; value++) expect(state.body.state[`k${value}`]).toBe(1);
      }
      for (const username of registered) {
        const login = await new TestBrowser(target).post("/api/auth/login", { username, password: PASSWORD });
        expect(login.status, username).toBe(200);
      }
      for (const { browser, sessionId } of signedIn) {
        const info = await browser.get("/api/session");
        expect(info.status).toBe(200);
        expect(info.body.session.id).toBe(sessionId);
      }
      console.info(
        `[crash] killed after ${acked} acknowledged writes (${patchers.reduce((sum, c) => sum + c.acked, 0)} PATCHes, ` +
          `${registered.length} registrations, ${signedIn.length} sign-ins); all found after restart`,
      );
    } finally {
      await server.stop();
    }
  }, 120_000);
});
