import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { TEST_SECRET } from "../support/api-target.js";
import { TestBrowser } from "../support/browser.js";
import { type ServeProcess, startServe } from "../support/cli.js";
import { freePort, startPostgres, startRedis } from "../support/services.js";
import { type StintServer, startStintServer } from "../support/stint-server.js";

/**
 * Issue 12: the per-process session cache is exact. Once a change is committed through any
 * process, no other process answers from the old record after the change's announcement
 * reached it; when its link to the store's pub/sub drops, it answers from nothing cached.
 * "Reached it" is observed from outside: the announcement travels on the same connection
 * as, and before, the stream event the test reads. A link that drops is found down at once
 * when its connection closes, or by the heartbeat within two seconds when it dies silently.
 */

const PASSWORD = "correct horse battery";
const READS = 10_000;
const SESSIONS = 40;
const CONCURRENCY = 16;

interface Backend {
  name: string;
  url: () => string;
  /** A server of the test's own, whose listening connections it may cut without hurting others. */
  own(): Promise<{ url: string; dispose(): Promise<void> }>;
  /** Cuts every pub/sub listening connection of the server (the link drops). */
  cutListeners(url: string): Promise<void>;
}

const backends: Backend[] = [
  {
    name: "Redis",
    url: () => inject("redisUrl"),
    own: async () => {
      const server = await startRedis();
      return { url: server.url, dispose: () => server.dispose() };
    },
    async cutListeners(url) {
      const admin = new Redis(url);
      try {
        await admin.call("CLIENT", "KILL", "TYPE", "pubsub");
      } finally {
        admin.disconnect();
      }
    },
  },
  {
    name: "PostgreSQL",
    url: () => inject("databaseUrl"),
    own: async () => {
      const server = await startPostgres();
      return { url: server.url, dispose: () => server.dispose() };
    },
    async cutListeners(url) {
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN %'");
      } finally {
        await admin.end();
      }
    },
  },
];

/** A counter of the reader's /metrics. */
async function metric(server: StintServer, name: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? Number.NaN);
}

for (const backend of backends) {
  describe.skipIf(!backend.url())(`the session cache on ${backend.name}`, () => {
    let dir: string;
    let reader: StintServer;
    let users = 0;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "stint-cache-"));
      reader = await startStintServer({ storeUrl: backend.url(), usersPath: join(dir, "users.db") });
    });
    afterAll(async () => {
      await reader?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const read = (cookie: string) => fetch(`${reader.url}/api/session`, { headers: { cookie } });

    it(`${READS} reads racing revocations made by another process: none stale after the announcement arrived`, async () => {
      const revoker: ServeProcess = await startServe(
        ["--port", String(await freePort()), "--store", backend.url(), "--secret", TEST_SECRET],
        { cwd: dir },
      );
      try {
        const target = { baseUrl: revoker.url, fetch: (request: Request) => fetch(request) };
        const sessions = await Promise.all(
          Array.from({ length: SESSIONS }, async () => {
            const browser = new TestBrowser(target);
            const answer = await browser.post("/api/auth/register", {
              username: `racer${++users}`,
              password: PASSWORD,
            });
            expect(answer.status).toBe(201);
            return { browser, cookie: browser.cookieHeader, revokedSeenAt: Number.POSITIVE_INFINITY };
          }),
        );
        // The reader's event stream of each session: when `logout` arrives there, the reader has
        // already dropped the cached record (the announcement came first on the same link).
        const streams = sessions.map(async (session) => {
          const response = await fetch(`${reader.url}/api/session/events`, { headers: { cookie: session.cookie } });
          expect(response.status).toBe(200);
          const reader2 = (response.body as ReadableStream<Uint8Array>).getReader();
          const decoder = new TextDecoder();
          let text = "";
          for (;;) {
            const { done, value } = await reader2.read();
            if (done) break;
            text += decoder.decode(value, { stream: true });
            if (/event: logout/.test(text)) {
              session.revokedSeenAt = performance.now();
              await reader2.cancel().catch(() => undefined);
              break;
            }
          }
        });
        const hitsBefore = await metric(reader, "stint_cache_hits_total");

        const reads: Array<{ session: number; sentAt: number; status: number }> = [];
        let next = 0;
        let revoked = 0;
        const revokeNext = async () => {
          const session = sessions[revoked++];
          if (!session) return;
          const answer = await session.browser.send("DELETE", "/api/session");
          expect(answer.status).toBe(204);
        };
        const revocations: Promise<void>[] = [];
        await Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            while (next < READS) {
              const index = next++;
              // Revocations spread over the run, each racing the reads around it.
              if (index % (READS / SESSIONS) === 0) revocations.push(revokeNext());
              const session = Math.floor(Math.random() * SESSIONS);
              const sentAt = performance.now();
              const answer = await read((sessions[session] as (typeof sessions)[number]).cookie);
              await answer.arrayBuffer();
              reads.push({ session, sentAt, status: answer.status });
            }
          }),
        );
        await Promise.all(revocations);
        await Promise.all(streams);

        expect(reads).toHaveLength(READS);
        expect(new Set(reads.map((entry) => entry.status))).toEqual(new Set([200, 401]));
        const stale = reads.filter(
          (entry) =>
            entry.status === 200 && entry.sentAt > (sessions[entry.session] as { revokedSeenAt: number }).revokedSeenAt,
        );
        expect(stale).toEqual([]);
        // The race ran through the cache, not around it.
        expect((await metric(reader, "stint_cache_hits_total")) - hitsBefore).toBeGreaterThan(READS / 4);
        expect(await metric(reader, "stint_cache_invalidations_total")).toBeGreaterThan(0);
      } finally {
        await revoker.stop("SIGTERM");
      }
    });

    it("drops everything cached when its link to the store's pub/sub drops: a session revoked meanwhile is never served", async () => {
      const own = await backend.own();
      const usersPath = join(dir, "cut-users.db");
      const writer = await startStintServer({ storeUrl: own.url, usersPath });
      const cutReader = await startStintServer({ storeUrl: own.url, usersPath });
      const read = (cookie: string) => fetch(`${cutReader.url}/api/session`, { headers: { cookie } });
      /** Reads until the reader answers this session from memory (its link is up again). */
      const cached = (cookie: string) =>
        expect
          .poll(
            async () => {
              const before = await metric(cutReader, "stint_cache_hits_total");
              expect((await read(cookie)).status).toBe(200);
              return (await metric(cutReader, "stint_cache_hits_total")) - before;
            },
            { timeout: 10_000 },
          )
          .toBe(1);
      try {
        for (let round = 0; round < 10; round++) {
          const browser = new TestBrowser(writer.target);
          const answer = await browser.post("/api/auth/register", { username: `cut${++users}`, password: PASSWORD });
          expect(answer.status).toBe(201);
          const cookie = browser.cookieHeader;
          await cached(cookie);

          // The reader finds its link down (at once, or by its heartbeat within two seconds)…
          const drops = await metric(cutReader, "stint_cache_link_drops_total");
          await backend.cutListeners(own.url);
          await expect
            .poll(() => metric(cutReader, "stint_cache_link_drops_total"), { timeout: 10_000 })
            .toBeGreaterThan(drops);
          // …and the announcement of a logout made now may be lost for it: it must not answer
          // from memory, whether its link is back already or not.
          expect((await browser.send("DELETE", "/api/session")).status).toBe(204);
          expect((await read(cookie)).status).toBe(401);
        }
      } finally {
        await Promise.all([writer.close(), cutReader.close()]);
        await own.dispose();
      }
    });
  });
}
