import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fallbackStore } from "stint";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { guardStore } from "../../src/stores/guard.js";
import { type Answer, TestBrowser } from "../support/browser.js";
import { openEventStream } from "../support/event-stream.js";
import { processTree, signalAll } from "../support/processes.js";
import { startPostgres, startRedis } from "../support/services.js";
import { type StintServer, startStintServer } from "../support/stint-server.js";

/**
 * Issue 4, "Done when": the store dies mid-traffic. Stint fails closed — 503
 * `store_unavailable` within its store timeout, never another 5xx, never 401, never a hang —
 * and once the store is back the same cookies work again with nothing lost.
 */

const STORE_TIMEOUT_MS = 1_000;
/**
 * Each answer must come within the store timeout plus this much: a bound that catches a hang
 * (an answer that waits for the store to return), generous enough for a loaded machine.
 */
const MARGIN_MS = 4_000;
const PASSWORD = "correct horse battery";
/** No loop in this file runs longer than this, whatever happens. */
const HARD_LIMIT_MS = 20_000;

interface OutageBackend {
  url: string;
  /** Takes the store away (a crash for Redis, a shutdown for PostgreSQL). */
  down(): Promise<void>;
  /** Brings it back on the same port with the same data. */
  up(): Promise<void>;
  /** The server's processes (SIGSTOP/SIGCONT them to freeze it: connected, silent). */
  pids(): number[];
  dispose(): Promise<void>;
}

interface Sample {
  browser: number;
  method: string;
  path: string;
  status: number;
  code: string | null;
  ms: number;
  startedAt: number;
  endedAt: number;
  setCookies: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends one request, timing it; a network failure is recorded as status 0. */
async function timed(
  browser: TestBrowser,
  index: number,
  method: string,
  path: string,
  json?: unknown,
): Promise<Sample & { answer: Answer | null }> {
  const startedAt = performance.now();
  let answer: Answer | null = null;
  try {
    answer = await browser.send(method, path, json === undefined ? {} : { json });
  } catch {
    answer = null;
  }
  const endedAt = performance.now();
  return {
    browser: index,
    method,
    path,
    status: answer?.status ?? 0,
    code: answer?.body?.error?.code ?? null,
    ms: endedAt - startedAt,
    startedAt,
    endedAt,
    setCookies: answer?.setCookies ?? [],
    answer,
  };
}

function describeOutage(name: string, available: boolean, startBackend: () => Promise<OutageBackend>) {
  describe.skipIf(!available)(name, () => {
    let backend: OutageBackend;
    let dir: string;
    let users = 0;

    beforeAll(async () => {
      backend = await startBackend();
      dir = mkdtempSync(join(tmpdir(), "stint-outage-"));
    });

    afterAll(async () => {
      await backend?.dispose();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const startServer = (wrap?: "fallback") =>
      startStintServer({
        storeUrl: backend.url,
        usersPath: join(dir, "users.db"),
        storeTimeoutMs: STORE_TIMEOUT_MS,
        wrapStore: wrap ? (store) => fallbackStore(guardStore(store, { timeoutMs: STORE_TIMEOUT_MS })) : undefined,
      });

    const register = async (server: StintServer) => {
      const username = `user${++users}`;
      const browser = new TestBrowser(server.target);
      const answer = await browser.post("/api/auth/register", { username, password: PASSWORD });
      expect(answer.status).toBe(201);
      return { browser, username, sessionId: answer.body.session.id as string };
    };

    /** Registers once the store answers again (bounded wait for the client to reconnect). */
    /** Waits (bounded) until each server's store connection is back: each reconnects on its own. */
    const whenBack = (...servers: StintServer[]) =>
      Promise.all(
        servers.map(async (server) => {
          for (const deadline = performance.now() + 10_000; performance.now() < deadline; await sleep(100)) {
            const health = await new TestBrowser(server.target).get("/api/health");
            if (health.status === 200) break;
          }
        }),
      );

    it("fails closed while the store is down and serves the same cookies after it is back", async () => {
      const server = await startServer();
      try {
        const clients: Array<{
          browser: TestBrowser;
          username: string;
          sessionId: string;
          /** The last counter value answered 200, and the last one sent. */
          acked: number;
          attempted: number;
          token: string | undefined;
        }> = [];
        for (let i = 0; i < 4; i++) {
          const client = await register(server);
          const seeded = await client.browser.patch("/api/session/state", {
            set: { owner: client.username, counter: 0 },
          });
          expect(seeded.status).toBe(200);
          clients.push({ ...client, acked: 0, attempted: 0, token: client.browser.token() });
        }

        const samples: Sample[] = [];
        const started = performance.now();
        let stopping = false;
        const stop = () => stopping || performance.now() - started > HARD_LIMIT_MS;
        // Each client loops: read the state, bump its counter, read the session.
        const loops = clients.map(async (client, index) => {
          for (let step = 0; !stop(); step++) {
            let sample: Sample;
            if (step % 3 === 1) {
              const value = ++client.attempted;
              sample = await timed(client.browser, index, "PATCH", "/api/session/state", { set: { counter: value } });
              if (sample.status === 200) client.acked = value;
            } else {
              sample = await timed(client.browser, index, "GET", step % 3 ? "/api/session" : "/api/session/state");
            }
            samples.push(sample);
            await sleep(5);
          }
        });

        await sleep(300);
        const downAt = performance.now();
        await backend.down();
        const downDone = performance.now();

        // While down: health says unavailable, and no anonymous session is made up.
        await sleep(200);
        const health = await timed(new TestBrowser(server.target), -1, "GET", "/api/health");
        expect(health.status).toBe(503);
        expect(health.answer?.body.status).toBe("unavailable");
        expect(health.answer?.body.store.ok).toBe(false);
        expect(health.ms).toBeLessThan(STORE_TIMEOUT_MS + MARGIN_MS);
        const stranger = await timed(new TestBrowser(server.target), -1, "GET", "/api/session/csrf-token");
        expect(stranger.status).toBe(503);
        expect(stranger.code).toBe("store_unavailable");
        expect(stranger.setCookies).toEqual([]);
        const login = await timed(new TestBrowser(server.target), -1, "POST", "/api/auth/login", {
          username: clients[0]!.username,
          password: PASSWORD,
        });
        expect(login.status).toBe(503);
        expect(login.setCookies).toEqual([]);
        // A sign-up answered 503 leaves no account behind (the users live elsewhere): the
        // same name registers once the store is back.
        const newcomer = `newcomer${Date.now()}`;
        const signUp = await timed(new TestBrowser(server.target), -1, "POST", "/api/auth/register", {
          username: newcomer,
          password: PASSWORD,
        });
        expect(signUp.status).toBe(503);
        expect(signUp.setCookies).toEqual([]);
        samples.push(health, stranger, login, signUp);
        await sleep(500);

        const upAt = performance.now();
        await backend.up();
        const upDone = performance.now();
        // Wait (bounded) until every client has been answered 200 after the restart.
        const recovered = () =>
          clients.every((_, index) =>
            samples.some((sample) => sample.browser === index && sample.startedAt > upDone && sample.status === 200),
          );
        while (!recovered() && !stop()) await sleep(50);
        const recoveredAt = performance.now();
        stopping = true;
        await Promise.all(loops);

        const during = samples.filter((sample) => sample.startedAt > downDone && sample.endedAt < upAt);
        const slowest = Math.max(...samples.map((sample) => sample.ms));
        console.info(
          `[${name}] ${samples.length} answers; ${during.length} while down, slowest ${slowest.toFixed(1)} ms ` +
            `(bound ${STORE_TIMEOUT_MS + MARGIN_MS} ms); down ${(downDone - downAt).toFixed(0)} ms to stop, ` +
            `${(upDone - upAt).toFixed(0)} ms to start, served again ${(recoveredAt - upDone).toFixed(0)} ms later`,
        );

        expect(recovered()).toBe(true);
        // Every answer: 200, or 503 store_unavailable. Never 401, never another 5xx, never a hang.
        for (const sample of samples) {
          expect([200, 503], `${sample.method} ${sample.path}`).toContain(sample.status);
          // /api/health answers 503 with its report (checked above), not an error body.
          if (sample.status === 503 && sample.path !== "/api/health") expect(sample.code).toBe("store_unavailable");
          expect(sample.ms, `${sample.method} ${sample.path}`).toBeLessThan(STORE_TIMEOUT_MS + MARGIN_MS);
        }
        // The outage was seen, and closed: no write succeeded while down. A read may still come
        // from the process's cache (exact: a dead store changes nothing) until the process
        // handles its listening link's drop, which empties the cache; from a client's first
        // read answered 503, none of its reads succeeds until the store is back.
        expect(during.length).toBeGreaterThan(10);
        for (const sample of during) if (sample.method !== "GET") expect(sample.status).toBe(503);
        clients.forEach((_, index) => {
          const reads = during.filter((sample) => sample.browser === index && sample.method === "GET");
          const closed = reads.findIndex((sample) => sample.status === 503);
          expect(closed, `client ${index}: a read answered 503 while down`).toBeGreaterThanOrEqual(0);
          for (const later of reads.slice(closed)) expect(later.status, `${later.path} after a 503`).toBe(503);
        });
        // No answer told a browser to drop its cookie.
        for (const sample of samples.filter((s) => s.browser >= 0)) expect(sample.setCookies).toEqual([]);

        // The same cookies work again, and nothing acknowledged was lost.
        for (const client of clients) {
          expect(client.browser.token()).toBe(client.token);
          const info = await client.browser.get("/api/session");
          expect(info.status).toBe(200);
          expect(info.body.session.id).toBe(client.sessionId);
          expect(info.body.user.username).toBe(client.username);
          const state = await client.browser.get("/api/session/state");
          expect(state.body.state.owner).toBe(client.username);
          // A PATCH answered 503 may or may not have been applied (the reply can be what was lost).
          expect(state.body.state.counter).toBeGreaterThanOrEqual(client.acked);
          expect(state.body.state.counter).toBeLessThanOrEqual(client.attempted);
        }
        const healthy = await new TestBrowser(server.target).get("/api/health");
        expect(healthy.status).toBe(200);
        expect(healthy.body.status).toBe("ok");
        const signedUp = await new TestBrowser(server.target).post("/api/auth/register", {
          username: newcomer,
          password: PASSWORD,
        });
        expect(signedUp.status).toBe(201);
      } finally {
        await server.close();
      }
    });

    it("a frozen store (SIGSTOP) gets 503 within the store timeout, never a hang, and serves again after SIGCONT", async () => {
      const server = await startServer();
      let frozen: number[] = [];
      try {
        const client = await register(server);
        expect((await client.browser.patch("/api/session/state", { set: { kept: true } })).status).toBe(200);
        const token = client.browser.token();

        // Taken now: PostgreSQL forked a backend for each connection the pool opened.
        frozen = backend.pids();
        signalAll(frozen, "SIGSTOP");
        const answers = await Promise.all([
          timed(client.browser, 0, "GET", "/api/session"),
          timed(client.browser, 0, "GET", "/api/session/state"),
          timed(client.browser, 0, "PATCH", "/api/session/state", { set: { during: 1 } }),
          timed(client.browser, 0, "DELETE", "/api/sessions"),
          timed(new TestBrowser(server.target), 1, "GET", "/api/session/csrf-token"),
          timed(new TestBrowser(server.target), 1, "GET", "/api/health"),
        ]);
        signalAll(frozen, "SIGCONT");
        console.info(
          `[${name}] frozen store: answers in ${answers.map((answer) => `${answer.status}/${answer.ms.toFixed(0)}`).join(", ")} ms ` +
            `(timeout ${STORE_TIMEOUT_MS} ms)`,
        );
        for (const answer of answers) {
          // A read of the session this process just wrote may come from its cache: exact,
          // since a frozen store cannot change (its link is found dead within two seconds).
          const ownRead = answer.path === "/api/session" || answer.path === "/api/session/state";
          const cachedRead = answer.method === "GET" && ownRead && answer.status === 200;
          if (!cachedRead) {
            expect(answer.status, `${answer.method} ${answer.path}`).toBe(503);
            if (answer.path !== "/api/health") expect(answer.code).toBe("store_unavailable");
          }
          expect(answer.ms).toBeLessThan(STORE_TIMEOUT_MS + MARGIN_MS);
          expect(answer.setCookies).toEqual([]);
        }
        expect(answers.at(-1)?.answer?.body.status).toBe("unavailable");

        // Thawed: the same cookie works again (bounded wait), with its state.
        let info = await client.browser.get("/api/session");
        for (const deadline = performance.now() + 10_000; info.status !== 200 && performance.now() < deadline; ) {
          await sleep(100);
          info = await client.browser.get("/api/session");
        }
        expect(info.status).toBe(200);
        expect(client.browser.token()).toBe(token);
        const state = await client.browser.get("/api/session/state");
        expect(state.body.state.kept).toBe(true);
      } finally {
        signalAll(frozen, "SIGCONT");
        await server.close();
      }
    });

    it("after an outage, events travel between servers again: a revocation reaches the other's stream", async () => {
      const [a, b] = [await startServer(), await startServer()];
      try {
        await backend.down();
        // Down long enough for the transports' first reconnection attempts to fail too.
        await sleep(1_500);
        await backend.up();
        await whenBack(a, b);
        const user = await register(a);
        const phone = new TestBrowser(b.target, "Phone");
        expect((await phone.post("/api/auth/login", { username: user.username, password: PASSWORD })).status).toBe(200);
        const phoneId = (await phone.get("/api/session")).body.session.id as string;

        // The listening side may still be reconnecting: retry (bounded) until a stream on B
        // hears a state change made through A, then measure a revocation.
        const deadline = performance.now() + 10_000;
        let heard = false;
        while (!heard && performance.now() < deadline) {
          const probe = await openEventStream(b.url, { cookie: phone.cookieHeader, userAgent: "Phone" });
          expect((await phone.patch("/api/session/state", { set: { probe: performance.now() } })).status).toBe(200);
          heard = await probe.next("state", 1_000).then(
            () => true,
            () => false,
          );
          probe.close();
        }
        expect(heard).toBe(true);
        const stream = await openEventStream(b.url, { cookie: phone.cookieHeader, userAgent: "Phone" });
        try {
          const sent = performance.now();
          expect((await user.browser.delete(`/api/sessions/${phoneId}`)).status).toBe(204);
          const revoked = await stream.next("revoked", 10_000);
          console.info(
            `[${name}] after the outage: revocation A → stream on B in ${(revoked.at - sent).toFixed(1)} ms`,
          );
        } finally {
          stream.close();
        }
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    it("with the memory fallback, health says degraded and new sessions work while the store is down", async () => {
      const server = await startServer("fallback");
      try {
        const before = await new TestBrowser(server.target).get("/api/health");
        expect(before.status).toBe(200);
        expect(before.body.status).toBe("ok");
        const old = await register(server);

        await backend.down();
        const health = await new TestBrowser(server.target).get("/api/health");
        expect(health.status).toBe(200);
        expect(health.body.status).toBe("degraded");
        expect(health.body.store.detail).toBe("degraded");

        // A session of the primary is not known to the fallback: 503, and the cookie is kept,
        // so the outage signs nobody out.
        const during = await old.browser.get("/api/session");
        expect(during.status).toBe(503);
        expect(during.body.error.code).toBe("store_unavailable");
        expect(during.setCookies).toHaveLength(0);

        // A visitor arriving now gets a session, can sign up, and use it.
        const visitor = new TestBrowser(server.target);
        const csrf = await visitor.get("/api/session/csrf-token");
        expect(csrf.status).toBe(200);
        expect(visitor.token()).toBeDefined();
        const fresh = await register(server);
        const patched = await fresh.browser.patch("/api/session/state", { set: { workspace: "offline" } });
        expect(patched.status).toBe(200);
        const info = await fresh.browser.get("/api/session");
        expect(info.status).toBe(200);
        expect(info.body.session.id).toBe(fresh.sessionId);

        await backend.up();
        // Back to the primary: health recovers (bounded wait for the client to reconnect).
        let status = "";
        for (const deadline = performance.now() + 10_000; performance.now() < deadline; await sleep(100)) {
          status = (await new TestBrowser(server.target).get("/api/health")).body.status;
          if (status === "ok") break;
        }
        expect(status).toBe("ok");
        // The session from before the outage is served by the primary again.
        const oldInfo = await old.browser.get("/api/session");
        expect(oldInfo.status).toBe(200);
        expect(oldInfo.body.session.id).toBe(old.sessionId);
        // The one made during the outage still works in this process.
        const state = await fresh.browser.get("/api/session/state");
        expect(state.status).toBe(200);
        expect(state.body.state).toEqual({ workspace: "offline" });
      } finally {
        await server.close();
      }
    });

    it("with the memory fallback, a revocation that needs the store is 503 and nothing revoked comes back", async () => {
      const server = await startServer("fallback");
      try {
        const laptop = await register(server);
        await backend.down();
        try {
          // Signed in during the outage: a session in this process's memory.
          const phone = new TestBrowser(server.target, "Phone/1.0");
          const login = await phone.post("/api/auth/login", { username: laptop.username, password: PASSWORD });
          expect(login.status).toBe(200);
          // Ending the laptop's session needs the store: 503, never `{"revoked":0}` or 204.
          const everywhere = await phone.delete("/api/sessions");
          expect(everywhere.status).toBe(503);
          expect(everywhere.body.error.code).toBe("store_unavailable");
          expect(everywhere.body.error.message).toMatch(
            /^The session store is unavailable \((timeout|unreachable|closed|error)\)/,
          );
          const one = await phone.delete(`/api/sessions/${laptop.sessionId}`);
          expect(one.status).toBe(503);
          // The phone's own session lives in memory: it can sign out now, for good.
          const phoneToken = phone.token();
          expect((await phone.delete("/api/session")).status).toBe(204);
          const replay = new TestBrowser(server.target, "Phone/1.0");
          replay.cookies.set("stint_session", phoneToken!);
          expect((await replay.get("/api/session")).status).toBe(401);
        } finally {
          await backend.up();
        }
        // Nothing was revoked, so nothing comes back: the laptop was never signed out.
        let info = await laptop.browser.get("/api/session");
        for (const deadline = performance.now() + 10_000; info.status !== 200 && performance.now() < deadline; ) {
          await sleep(100);
          info = await laptop.browser.get("/api/session");
        }
        expect(info.status).toBe(200);
        expect(info.body.session.id).toBe(laptop.sessionId);
        // And the revocation works once the store is back.
        const again = new TestBrowser(server.target, "Phone/2.0");
        expect((await again.post("/api/auth/login", { username: laptop.username, password: PASSWORD })).status).toBe(
          200,
        );
        const revoked = await again.delete("/api/sessions");
        expect(revoked.status).toBe(200);
        expect(revoked.body.revoked).toBeGreaterThanOrEqual(1);
        expect((await laptop.browser.get("/api/session")).status).toBe(401);
      } finally {
        await server.close();
      }
    });
  });
}

describeOutage("redis-server killed mid-traffic", Boolean(inject("redisUrl")), async () => {
  const server = await startRedis({ appendonly: true });
  return {
    url: server.url,
    down: () => server.kill(),
    // Same port and directory: Redis reloads its append-only file.
    up: () => server.restart(),
    pids: () => [server.pid],
    dispose: () => server.dispose(),
  };
});

describeOutage("PostgreSQL stopped mid-traffic", Boolean(inject("databaseUrl")), async () => {
  const server = await startPostgres();
  return {
    url: server.url,
    down: () => server.stop(),
    up: () => server.start(),
    // The postmaster and every backend: all of them must be silent, not only new connections.
    pids: () => processTree(server.pid),
    dispose: () => server.dispose(),
  };
});
