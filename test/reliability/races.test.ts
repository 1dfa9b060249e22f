import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Answer, TestBrowser } from "../support/browser.js";
import { startPostgres, startRedis } from "../support/services.js";
import { type StintServer, startStintServer } from "../support/stint-server.js";

/**
 * Issue 10: every limit holds under races. Two Stint servers share one store (Redis, then
 * PostgreSQL) and one users file, as two workers or two machines would, and concurrent
 * requests are split between them. Each test speaks for its own client address (the servers
 * trust one proxy hop), so the per-address limits of one test never touch another's.
 */

const PASSWORD = "correct horse battery";
const USERNAME_LIMIT = 5;
const ADDRESS_LIMIT = 12;
const MAX_SESSIONS = 3;

interface Backend {
  url: string;
  dispose(): Promise<void>;
}

let addresses = 0;
/** A client address no other test uses. */
const nextAddress = () => `198.51.100.${++addresses}`;

/** A server as seen from one client address (the proxy's X-Forwarded-For). */
function from(server: StintServer, ip: string) {
  return {
    baseUrl: server.url,
    fetch: (request: Request) => {
      const headers = new Headers(request.headers);
      headers.set("x-forwarded-for", ip);
      return fetch(new Request(request, { headers }));
    },
  };
}

const statuses = (answers: Answer[]) => answers.map((answer) => answer.status).sort();
const count = (answers: Answer[], status: number) => answers.filter((answer) => answer.status === status).length;

function describeRaces(name: string, available: boolean, startBackend: () => Promise<Backend>) {
  describe.skipIf(!available)(name, () => {
    let backend: Backend;
    let dir: string;
    let a: StintServer;
    let b: StintServer;
    let users = 0;

    beforeAll(async () => {
      backend = await startBackend();
      dir = mkdtempSync(join(tmpdir(), "stint-races-"));
      const options = {
        storeUrl: backend.url,
        usersPath: join(dir, "users.db"),
        trustProxy: 1,
        policy: { maxSessionsPerUser: MAX_SESSIONS },
        accountLimits: {
          usernameFailures: { limit: USERNAME_LIMIT, windowMs: 15 * 60_000 },
          addressFailures: { limit: ADDRESS_LIMIT, windowMs: 15 * 60_000 },
        },
      };
      a = await startStintServer(options);
      b = await startStintServer(options);
    });

    afterAll(async () => {
      await Promise.allSettled([a?.close(), b?.close()]);
      await backend?.dispose();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** A new account, registered through A from `ip`; the browser holds its session. */
    const register = async (ip: string) => {
      const username = `racer${++users}`;
      const browser = new TestBrowser(from(a, ip));
      const answer = await browser.post("/api/auth/register", { username, password: PASSWORD });
      expect(answer.status).toBe(201);
      return { browser, username, sessionId: answer.body.session.id as string, userId: answer.body.user.id as string };
    };

    /** The same cookies and CSRF token, sent to another server. */
    const sameBrowserOn = (browser: TestBrowser, server: StintServer, ip: string) => browser.movedTo(from(server, ip));

    const login = (server: StintServer, ip: string, username: string, password: string) =>
      new TestBrowser(from(server, ip)).post("/api/auth/login", { username, password });

    describe("login throttling", () => {
      it("on one server, concurrent wrong guesses for a username get at most 5 tries, then even the right password is 429", async () => {
        const ip = nextAddress();
        const { username } = await register(ip);
        const guesses = await Promise.all(
          Array.from({ length: 12 }, (_, i) => login(a, nextAddress(), username, `wrong password ${i}`)),
        );
        expect(count(guesses, 401)).toBe(USERNAME_LIMIT);
        expect(count(guesses, 429)).toBe(12 - USERNAME_LIMIT);
        for (const answer of guesses.filter((guess) => guess.status === 429)) {
          expect(Number(answer.headers.get("retry-after"))).toBeGreaterThan(0);
        }
        expect((await login(a, nextAddress(), username, PASSWORD)).status).toBe(429);
      });

      // Failed sign-ins are counted in the shared store (store.attempts), not per process.
      it("across two servers, concurrent wrong guesses for a username get at most 5 tries in all", async () => {
        const { username } = await register(nextAddress());
        const guesses = await Promise.all(
          Array.from({ length: 12 }, (_, i) => login(i % 2 ? b : a, nextAddress(), username, `wrong password ${i}`)),
        );
        expect(count(guesses, 401)).toBe(USERNAME_LIMIT);
        for (const answer of guesses.filter((guess) => guess.status === 429)) {
          expect(Number(answer.headers.get("retry-after"))).toBeGreaterThan(0);
        }
        expect((await login(b, nextAddress(), username, PASSWORD)).status).toBe(429);
        expect((await login(a, nextAddress(), username, PASSWORD)).status).toBe(429);
      });

      it("on one server, one address gets at most its failures per window, however many names it tries at once", async () => {
        const ip = nextAddress();
        const guesses = await Promise.all(
          Array.from({ length: 2 * ADDRESS_LIMIT }, (_, i) => login(a, ip, `nobody${users}_${i}`, "wrong password")),
        );
        expect(count(guesses, 401)).toBe(ADDRESS_LIMIT);
        expect(count(guesses, 429)).toBe(ADDRESS_LIMIT);
        // Another address is not affected.
        const { username } = await register(nextAddress());
        expect((await login(a, nextAddress(), username, PASSWORD)).status).toBe(200);
      });

      it("across two servers, one address gets at most its failures per window", async () => {
        const ip = nextAddress();
        const guesses = await Promise.all(
          Array.from({ length: 2 * ADDRESS_LIMIT }, (_, i) =>
            login(i % 2 ? b : a, ip, `nobody${users}_${i}`, "wrong password"),
          ),
        );
        expect(count(guesses, 401)).toBe(ADDRESS_LIMIT);
        expect(count(guesses, 429)).toBe(ADDRESS_LIMIT);
      });

      it("a successful sign-in never counts against an address, however many race at once", async () => {
        const ip = nextAddress();
        const accounts: Array<{ username: string }> = [];
        for (let i = 0; i < 4; i++) accounts.push(await register(nextAddress()));
        const signIns = await Promise.all(
          Array.from({ length: 3 * ADDRESS_LIMIT }, (_, i) =>
            login(i % 2 ? b : a, ip, accounts[i % accounts.length]!.username, PASSWORD),
          ),
        );
        expect(statuses(signIns).join(",")).toBe(
          Array(3 * ADDRESS_LIMIT)
            .fill(200)
            .join(","),
        );
      });
    });

    describe("CSRF token rotation at login", () => {
      it("the token from before sign-in stops working at sign-in, also for requests racing it on the other server", async () => {
        const ip = nextAddress();
        const { username } = await register(ip);
        for (let round = 0; round < 5; round++) {
          const visitor = new TestBrowser(from(a, ip), `Visitor/${round}`);
          expect((await visitor.get("/api/session/csrf-token")).status).toBe(200);
          const before = { cookie: visitor.cookieHeader, token: visitor.csrfToken! };
          const onB = sameBrowserOn(visitor, b, ip);
          const racing = Array.from({ length: 8 }, (_, i) =>
            onB.patch("/api/session/state", { set: { [`racing${i}`]: i } }),
          );
          const signedIn = await visitor.post("/api/auth/login", { username, password: PASSWORD });
          expect(signedIn.status).toBe(200);
          const raced = await Promise.all(racing);
          // Before the sign-in committed they could pass; after it, never: 401 (the old session
          // is gone) or 200 (in time). Never a 5xx, never a session brought back.
          for (const answer of raced) expect([200, 401]).toContain(answer.status);

          const newToken = signedIn.body.csrfToken as string;
          expect(newToken).not.toBe(before.token);
          for (const server of [a, b]) {
            const oldEverything = new TestBrowser(from(server, ip), `Visitor/${round}`);
            const replay = await oldEverything.patch(
              "/api/session/state",
              { set: { replay: true } },
              { headers: { cookie: before.cookie, "x-csrf-token": before.token } },
            );
            expect(replay.status).toBe(401);
            const mixed = sameBrowserOn(visitor, server, ip);
            mixed.csrfToken = before.token;
            const oldToken = await mixed.patch("/api/session/state", { set: { mixed: true } });
            expect(oldToken.status).toBe(403);
            expect(oldToken.body.error.code).toBe("csrf_invalid");
            const fresh = sameBrowserOn(visitor, server, ip);
            expect((await fresh.patch("/api/session/state", { set: { fresh: true } })).status).toBe(200);
          }
          const state = await visitor.get("/api/session/state");
          expect(state.body.state.replay).toBeUndefined();
          expect(state.body.state.mixed).toBeUndefined();
        }
      });
    });

    describe("revocation", () => {
      it("a revoked session is never usable again, even by requests in flight on the other server", async () => {
        const ip = nextAddress();
        const owner = await register(ip);
        for (let round = 0; round < 5; round++) {
          const phone = new TestBrowser(from(b, ip), `Phone/${round}`);
          const signedIn = await phone.post("/api/auth/login", { username: owner.username, password: PASSWORD });
          expect(signedIn.status).toBe(200);
          const phoneId = signedIn.body.session.id as string;
          const phoneOnA = sameBrowserOn(phone, a, ip);
          let revokedAt = Number.POSITIVE_INFINITY;
          const inFlight: Array<Promise<{ started: number; answer: Answer }>> = [];
          const send = (browser: TestBrowser, index: number) => {
            const started = performance.now();
            const request =
              index % 3 === 0
                ? browser.patch("/api/session/state", { set: { [`write${round}_${index}`]: index } })
                : index % 3 === 1
                  ? browser.post("/api/session/extend", {})
                  : browser.get("/api/session/state");
            inFlight.push(request.then((answer) => ({ started, answer })));
          };
          for (let i = 0; i < 10; i++) send(i % 2 ? phone : phoneOnA, i);
          const revoke = owner.browser.delete(`/api/sessions/${phoneId}`);
          for (let i = 10; i < 20; i++) send(i % 2 ? phone : phoneOnA, i);
          const revoked = await revoke;
          revokedAt = performance.now();
          expect(revoked.status).toBe(204);
          for (let i = 20; i < 30; i++) send(i % 2 ? phone : phoneOnA, i);
          const answers = await Promise.all(inFlight);
          for (const { started, answer } of answers) {
            expect([200, 401]).toContain(answer.status);
            // Sent after the revocation was answered: refused.
            if (started > revokedAt) expect(answer.status).toBe(401);
          }
          // Nothing in flight brought it back: refused everywhere, and gone from the device list.
          for (const browser of [sameBrowserOn(phone, a, ip), sameBrowserOn(phone, b, ip)]) {
            browser.cookies.set("stint_session", signedIn.setCookies[0]!.split(";")[0]!.split("=")[1]!);
            expect((await browser.get("/api/session")).status).toBe(401);
          }
          const devices = await owner.browser.get("/api/sessions");
          expect(devices.body.sessions.map((session: { id: string }) => session.id)).not.toContain(phoneId);
        }
      });

      it("revoking every other session while they are busy on both servers leaves only the caller's", async () => {
        const ip = nextAddress();
        const owner = await register(ip);
        const others: TestBrowser[] = [];
        for (let i = 0; i < MAX_SESSIONS - 1; i++) {
          const device = new TestBrowser(from(i % 2 ? a : b, ip), `Device/${i}`);
          expect((await device.post("/api/auth/login", { username: owner.username, password: PASSWORD })).status).toBe(
            200,
          );
          others.push(device);
        }
        const busy = others.flatMap((device) =>
          Array.from({ length: 6 }, (_, i) => device.patch("/api/session/state", { set: { busy: i } })),
        );
        const revoked = await owner.browser.delete("/api/sessions");
        expect(revoked.status).toBe(200);
        for (const answer of await Promise.all(busy)) expect([200, 401]).toContain(answer.status);
        for (const device of others) expect((await device.get("/api/session")).status).toBe(401);
        const devices = await owner.browser.get("/api/sessions");
        expect(devices.body.sessions.map((session: { id: string }) => session.id)).toEqual([owner.sessionId]);
      });
    });

    describe("sessions per user", () => {
      // Issue 10: a sign-in from the user's oldest session (which replaces that session) racing
      // a fresh sign-in once left MAX_SESSIONS + 1 live sessions, when the store's create and
      // the delete of the replaced session were two steps; the create now replaces it atomically.
      it(`a sign-in from the oldest session racing a fresh one never leaves more than ${MAX_SESSIONS}`, async () => {
        const ip = nextAddress();
        const live: number[] = [];
        for (let round = 0; round < 30; round++) {
          const owner = await register(ip);
          const devices = [owner.browser];
          for (let i = 1; i < MAX_SESSIONS; i++) {
            const device = new TestBrowser(from(i % 2 ? b : a, ip), `Device/${i}`);
            expect(
              (await device.post("/api/auth/login", { username: owner.username, password: PASSWORD })).status,
            ).toBe(200);
            devices.push(device);
          }
          const oldest = sameBrowserOn(owner.browser, b, ip);
          await Promise.all([
            oldest.post("/api/auth/login", { username: owner.username, password: PASSWORD }),
            login(a, ip, owner.username, PASSWORD),
          ]);
          live.push((await a.stint.sessions.list(owner.userId)).length);
        }
        expect(Math.max(...live)).toBeLessThanOrEqual(MAX_SESSIONS);
      });

      it(`concurrent fresh sign-ins on both servers never leave more than ${MAX_SESSIONS}`, async () => {
        const ip = nextAddress();
        for (let round = 0; round < 5; round++) {
          const owner = await register(ip);
          const signIns = await Promise.all(
            Array.from({ length: 8 }, (_, i) => login(i % 2 ? b : a, ip, owner.username, PASSWORD)),
          );
          expect(statuses(signIns)).toEqual(Array(8).fill(200));
          expect((await a.stint.sessions.list(owner.userId)).length).toBeLessThanOrEqual(MAX_SESSIONS);
        }
      });
    });
  });
}

describeRaces("races through two servers sharing Redis", Boolean(inject("redisUrl")), async () => {
  const server = await startRedis();
  return { url: server.url, dispose: () => server.dispose() };
});

describeRaces("races through two servers sharing PostgreSQL", Boolean(inject("databaseUrl")), async () => {
  const server = await startPostgres();
  return { url: server.url, dispose: () => server.dispose() };
});
