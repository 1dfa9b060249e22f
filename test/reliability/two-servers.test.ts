import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { TestBrowser } from "../support/browser.js";
import { openEventStream } from "../support/event-stream.js";
import { startRedisCluster } from "../support/redis-cluster.js";
import { startPostgres, startRedis } from "../support/services.js";
import { type StintServer, startStintServer } from "../support/stint-server.js";

/**
 * Issue 4, "Done when": two Stint servers on different ports sharing one Redis, and again
 * one PostgreSQL, and (issue 13) one Redis Cluster with sessions sharded over its masters. Each server has its own store client, its own event transport and its own
 * handle on one shared SQLite users file, as two workers or two machines would.
 */

interface Backend {
  url: string;
  dispose(): Promise<void>;
}

/**
 * API.md: "A revoked session's open event stream gets `revoked` within a second, on any
 * worker." Here only that it arrives (bounded generously: a loaded machine is slow, not
 * wrong); how fast is measured by `npm run bench`.
 */
const EVENTUALLY_MS = 10_000;
const PASSWORD = "correct horse battery";

function describeTwoServers(name: string, available: boolean, startBackend: () => Promise<Backend>) {
  describe.skipIf(!available)(name, () => {
    let backend: Backend;
    let dir: string;
    let a: StintServer;
    let b: StintServer;
    let users = 0;

    beforeAll(async () => {
      backend = await startBackend();
      dir = mkdtempSync(join(tmpdir(), "stint-two-"));
      const usersPath = join(dir, "users.db");
      a = await startStintServer({ storeUrl: backend.url, usersPath });
      b = await startStintServer({ storeUrl: backend.url, usersPath });
    });

    afterAll(async () => {
      await Promise.allSettled([a?.close(), b?.close()]);
      await backend?.dispose();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** A new user, registered through `server`: the browser holds the session. */
    const register = async (server: StintServer) => {
      const username = `user${++users}`;
      const browser = new TestBrowser(server.target);
      const answer = await browser.post("/api/auth/register", { username, password: PASSWORD });
      expect(answer.status).toBe(201);
      return { browser, username, sessionId: answer.body.session.id as string };
    };

    /** Another device of the same user, signed in through `server`. */
    const signIn = async (server: StintServer, username: string) => {
      const browser = new TestBrowser(server.target, `Device/${Math.random()}`);
      const answer = await browser.post("/api/auth/login", { username, password: PASSWORD });
      expect(answer.status).toBe(200);
      return { browser, sessionId: answer.body.session.id as string };
    };

    /** The same cookies and CSRF token, sent to another server. */
    const sameBrowserOn = (from: TestBrowser, server: StintServer) => from.movedTo(server.target);

    it("a cookie issued by server A works on server B", async () => {
      expect(a.url).not.toBe(b.url);
      const { browser, username, sessionId } = await register(a);
      const onB = sameBrowserOn(browser, b);

      const info = await onB.get("/api/session");
      expect(info.status).toBe(200);
      expect(info.body.session.id).toBe(sessionId);
      expect(info.body.user.username).toBe(username);

      // Unsafe requests too: B accepts the CSRF token A issued, and A sees what B wrote.
      const patched = await onB.patch("/api/session/state", { set: { workspace: "from-b" } });
      expect(patched.status).toBe(200);
      // A kept the session it created; B's change reaches it with B's announcement.
      await expect
        .poll(async () => (await browser.get("/api/session/state")).body, { timeout: EVENTUALLY_MS })
        .toMatchObject({ state: { workspace: "from-b" }, version: patched.body.version });
      expect(onB.cookies.get("stint_session")).toBe(browser.cookies.get("stint_session"));
    });

    it("a session revoked through A gets `revoked` on its event stream on B", async () => {
      const { browser: first, username } = await register(a);
      const devices = [];
      for (let i = 0; i < 3; i++) devices.push(await signIn(b, username));
      const streams = [];
      for (const device of devices) {
        const stream = await openEventStream(b.url, {
          cookie: device.browser.cookieHeader,
          userAgent: device.browser.userAgent,
        });
        expect(stream.status).toBe(200);
        streams.push(stream);
      }
      const delays: number[] = [];
      try {
        for (const [index, device] of devices.entries()) {
          const stream = streams[index]!;
          const sent = performance.now();
          const revoked = await first.delete(`/api/sessions/${device.sessionId}`);
          expect(revoked.status).toBe(204);
          const event = await stream.next("revoked", EVENTUALLY_MS);
          delays.push(event.at - sent);
          // API.md: the stream ends after `revoked`.
          await stream.ended;
          // And B refuses the revoked cookie.
          expect((await device.browser.get("/api/session")).status).toBe(401);
        }
      } finally {
        for (const stream of streams) stream.close();
      }
      console.info(`[${name}] revocation A → stream on B: ${delays.map((ms) => ms.toFixed(1)).join(", ")} ms`);
    });

    it("a logout through A ends the session's event stream on B with `logout`", async () => {
      const { browser } = await register(a);
      const stream = await openEventStream(b.url, { cookie: browser.cookieHeader, userAgent: browser.userAgent });
      try {
        expect(stream.status).toBe(200);
        const sent = performance.now();
        expect((await browser.delete("/api/session")).status).toBe(204);
        const event = await stream.next("logout", EVENTUALLY_MS);
        console.info(`[${name}] logout A → stream on B: ${(event.at - sent).toFixed(1)} ms`);
        await stream.ended;
      } finally {
        stream.close();
      }
    });

    it("a state change through A reaches the session's event stream on B", async () => {
      const { browser } = await register(a);
      const stream = await openEventStream(b.url, { cookie: browser.cookieHeader, userAgent: browser.userAgent });
      try {
        const patched = await browser.patch("/api/session/state", { set: { theme: "dark" } });
        expect(patched.status).toBe(200);
        const event = await stream.next("state", EVENTUALLY_MS);
        expect(event.data).toEqual({ version: patched.body.version });
      } finally {
        stream.close();
      }
    });

    it("a user-state change through A reaches every stream of that user on B within a second", async () => {
      const { browser: laptop, username } = await register(a);
      const phone = await signIn(b, username);
      const streams = await Promise.all(
        [laptop, phone.browser].map((device) =>
          openEventStream(b.url, { cookie: device.cookieHeader, userAgent: device.userAgent }),
        ),
      );
      try {
        const patched = await laptop.patch("/api/user/state", { set: { theme: "dark" } });
        expect(patched.status).toBe(200);
        for (const stream of streams) {
          const event = await stream.next("user-state", EVENTUALLY_MS);
          expect(event.data).toEqual({ version: patched.body.version });
        }
        expect((await phone.browser.get("/api/user/state")).body.state).toEqual({ theme: "dark" });
      } finally {
        for (const stream of streams) stream.close();
      }
    });

    it("server-side control in process A (stint.sessions) reaches the session's stream on B", async () => {
      const { browser, sessionId } = await register(a);
      const stream = await openEventStream(b.url, { cookie: browser.cookieHeader, userAgent: browser.userAgent });
      try {
        const record = await a.stint.sessions.patchState(sessionId, { set: { platform: "mastodon" } });
        expect((await stream.next("state", EVENTUALLY_MS)).data).toEqual({ version: record.version });
        expect(await a.stint.sessions.revoke(sessionId)).toBe(true);
        await stream.next("revoked", EVENTUALLY_MS);
      } finally {
        stream.close();
      }
    });

    it("2×25 concurrent state PATCHes of different keys through A and B lose nothing", async () => {
      const { browser: onA } = await register(a);
      const onB = sameBrowserOn(onA, b);
      const base = await onA.get("/api/session/state");
      expect(base.status).toBe(200);

      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          (i % 2 === 0 ? onA : onB).patch("/api/session/state", { set: { [`key${i}`]: i } }),
        ),
      );
      expect(answers.map((answer) => answer.status)).toEqual(Array(50).fill(200));
      // Every PATCH saw a different version: each was applied exactly once.
      expect(new Set(answers.map((answer) => answer.body.version)).size).toBe(50);

      // Each server keeps the record its own last write left, until the other's announcement
      // arrives (on a Redis Cluster it crosses the cluster bus): then both read the same.
      const everyKey = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`key${i}`, i]));
      for (const browser of [onA, onB]) {
        await expect
          .poll(async () => (await browser.get("/api/session/state")).body, { timeout: EVENTUALLY_MS })
          .toMatchObject({ version: base.body.version + 50, state: everyKey });
      }
    });
  });
}

describeTwoServers("two servers sharing Redis", Boolean(inject("redisUrl")), async () => {
  const server = await startRedis();
  return { url: server.url, dispose: () => server.dispose() };
});

describeTwoServers("two servers sharing PostgreSQL", Boolean(inject("databaseUrl")), async () => {
  const server = await startPostgres();
  return { url: server.url, dispose: () => server.dispose() };
});

describeTwoServers("two servers sharing a Redis Cluster", Boolean(inject("redisClusterUrl")), async () => {
  const cluster = await startRedisCluster();
  return { url: cluster.url, dispose: () => cluster.dispose() };
});
