import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SessionRecord, Store } from "stint";
import { makeRecord } from "stint/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { migrateCommand } from "../../src/cli/commands/migrate.js";
import { openStoreUrl } from "../../src/stores/from-url.js";
import { scanAll } from "../../src/stores/scan-all.js";
import { TestBrowser } from "../support/browser.js";
import { type RedisCluster, startRedisCluster } from "../support/redis-cluster.js";
import { type RedisServer, startRedis } from "../support/services.js";
import { type StintServer, startStintServer } from "../support/stint-server.js";

/**
 * Issue 13: `stint migrate` moves the sessions of a single Redis (every key under one hash
 * tag) to a Redis Cluster, where they spread over the masters. The cookies issued before go
 * on working, and each user's sessions stay one device list that "sign out everywhere" ends.
 * Users' states come along, each into its user's bucket.
 */

const N = 240;
const HOUR = 3_600_000;
/** The three signed-up users' states and those of users made in the store. */
const USER_STATES = 60;
const PASSWORD = "correct horse battery";
const available = Boolean(inject("redisUrl")) && Boolean(inject("redisClusterUrl"));

async function all(store: Store, now: number): Promise<SessionRecord[]> {
  const records: SessionRecord[] = [];
  for await (const record of scanAll(store, { now: () => now, pageSize: 50 })) records.push(record);
  return records;
}

describe.skipIf(!available)("stint migrate Redis → Redis Cluster", () => {
  let dir: string;
  let redis: RedisServer;
  let cluster: RedisCluster;
  let source: Store;
  let target: Store;
  /** Two devices of each of three users, signed in through a Stint on the single Redis. */
  const devices: Array<{ browser: TestBrowser; username: string; sessionId: string }> = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "stint-migrate-cluster-"));
    [redis, cluster] = await Promise.all([startRedis(), startRedisCluster()]);
    const server = await startStintServer({ storeUrl: redis.url, usersPath: join(dir, "users.db") });
    try {
      for (const username of ["alice", "bob", "carol"]) {
        const laptop = new TestBrowser(server.target, `Laptop of ${username}`);
        const registered = await laptop.post("/api/auth/register", { username, password: PASSWORD });
        expect(registered.status).toBe(201);
        expect((await laptop.patch("/api/session/state", { set: { workspace: `${username}'s` } })).status).toBe(200);
        expect((await laptop.patch("/api/user/state", { set: { theme: `${username}'s theme` } })).status).toBe(200);
        devices.push({ browser: laptop, username, sessionId: registered.body.session.id });
        const phone = new TestBrowser(server.target, `Phone of ${username}`);
        const loggedIn = await phone.post("/api/auth/login", { username, password: PASSWORD, remember: true });
        expect(loggedIn.status).toBe(200);
        devices.push({ browser: phone, username, sessionId: loggedIn.body.session.id });
      }
    } finally {
      await server.close();
    }
    source = (await openStoreUrl(redis.url)).store;
    const now = Date.now();
    for (let i = devices.length; i < N; i++) {
      await source.create(
        makeRecord({
          userId: i % 3 === 0 ? null : `u_user${i % 97}`,
          createdAt: now - i * 1_000,
          expiresAt: now + HOUR + i,
          data: { n: i },
          state: i % 2 ? { theme: "dark" } : {},
        }),
        { now },
      );
    }
    for (let i = 0; i < USER_STATES - 3; i++) {
      await source.userState?.patch(`u_user${i}`, { set: { language: `l${i}` }, now });
    }
    target = (await openStoreUrl(cluster.url)).store;
  }, 90_000);

  afterAll(async () => {
    await Promise.allSettled([source?.close(), target?.close()]);
    await Promise.allSettled([redis?.dispose(), cluster?.dispose()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("copies every session, spread over every master, and ends with a summary", async () => {
    const lines: string[] = [];
    await migrateCommand(["--from", redis.url, "--to", cluster.url], (line) => lines.push(line));
    const text = lines.join("\n");
    expect(text).toContain(`${N} live sessions read, ${N} copied, 0 already there.`);
    expect(text).toMatch(/Took [\d.]+ (s|min)[^:]*: [\d,]+ sessions a second\./);
    expect(text).toContain(`Live sessions now: ${N} in the source, ${N} in the target.`);
    expect(text).toContain(`User states: ${USER_STATES} read, ${USER_STATES} copied, 0 already there.`);
    expect(lines.at(-1)).toBe("Every copied session and user state was read back and matches its source.");

    const now = Date.now();
    const copied = await all(target, now);
    expect(copied).toEqual(await all(source, now));
    for (const userId of ["u_user1", "u_user5"]) {
      expect(await target.listByUser(userId, now)).toEqual(await source.listByUser(userId, now));
    }
    // Spread by user (about 100 users and 80 anonymous sessions): each master holds a fair share.
    const held = await Promise.all(
      (await cluster.nodes())
        .filter((node) => node.role === "master")
        .map(async (node): Promise<[sessions: number, states: number]> => {
          const { Redis } = await import("ioredis");
          const client = new Redis({ port: node.port, lazyConnect: true });
          try {
            await client.connect();
            return [(await client.keys("stint:{*}s:*")).length, (await client.keys("stint:{*}us:*")).length];
          } finally {
            client.disconnect();
          }
        }),
    );
    expect(held.map(([sessions]) => sessions).reduce((sum, count) => sum + count, 0)).toBe(N);
    for (const [sessions] of held) expect(sessions).toBeGreaterThan(N / 6);
    // Each user's state sits in the user's bucket, so the states spread too.
    expect(held.map(([, states]) => states).reduce((sum, count) => sum + count, 0)).toBe(USER_STATES);
    for (const [, states] of held) expect(states).toBeGreaterThan(USER_STATES / 6);
    const states = async (store: Store) => {
      const byUser = new Map<string, unknown>();
      for await (const { userId, record } of store.userState?.entries?.() ?? []) byUser.set(userId, record);
      return byUser;
    };
    expect(await states(target)).toEqual(await states(source));
  });

  it("the cookies issued on the single Redis work on a Stint on the cluster, device list and sign-out everywhere included", async () => {
    const server: StintServer = await startStintServer({ storeUrl: cluster.url, usersPath: join(dir, "users.db") });
    try {
      const moved = devices.map((device) => {
        const browser = new TestBrowser(server.target, device.browser.userAgent);
        for (const [name, value] of device.browser.cookies) browser.cookies.set(name, value);
        browser.csrfToken = device.browser.csrfToken;
        return { ...device, browser };
      });
      for (const device of moved) {
        const info = await device.browser.get("/api/session");
        expect(info.status).toBe(200);
        expect(info.body.session.id).toBe(device.sessionId);
        expect(info.body.user.username).toBe(device.username);
      }
      const [laptop, phone] = moved as [(typeof moved)[0], (typeof moved)[0]];
      expect((await laptop.browser.get("/api/session/state")).body.state).toEqual({ workspace: "alice's" });
      expect((await phone.browser.get("/api/user/state")).body).toMatchObject({
        state: { theme: "alice's theme" },
        version: 1,
      });
      // A new sign-in joins the migrated sessions in the user's list.
      const tablet = new TestBrowser(server.target, "Tablet of alice");
      expect((await tablet.post("/api/auth/login", { username: "alice", password: PASSWORD })).status).toBe(200);
      const listed = await laptop.browser.get("/api/sessions");
      expect(listed.body.sessions.map((session: { id: string }) => session.id).sort()).toEqual(
        [laptop.sessionId, phone.sessionId, (await tablet.get("/api/session")).body.session.id].sort(),
      );
      // "Sign out everywhere else" from the migrated laptop ends the phone and the tablet.
      expect((await laptop.browser.delete("/api/sessions")).status).toBe(200);
      expect((await phone.browser.get("/api/session")).status).toBe(401);
      expect((await tablet.get("/api/session")).status).toBe(401);
      expect((await laptop.browser.get("/api/session")).status).toBe(200);
      // A logout of a migrated session holds too.
      expect((await laptop.browser.delete("/api/session")).status).toBe(204);
      expect((await laptop.browser.get("/api/session")).status).toBe(401);
    } finally {
      await server.close();
    }
  });
});
