import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import type { SessionRecord, Store, UserStateRecord } from "stint";
import { StoreUnavailableError } from "stint";
import { makeRecord } from "stint/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { migrateCommand } from "../../src/cli/commands/migrate.js";
import { openStoreUrl } from "../../src/stores/from-url.js";
import { migrateSessions } from "../../src/stores/migrate.js";
import { scanAll } from "../../src/stores/scan-all.js";
import { TestBrowser } from "../support/browser.js";
import { type PostgresServer, type RedisServer, startPostgres, startRedis } from "../support/services.js";
import { startStintServer } from "../support/stint-server.js";

/**
 * Issue 4, "Done when": a migration SQLite → Redis → PostgreSQL loses nothing. Every record
 * is compared field by field on both sides, with the per-user index and the expiry, and a run
 * interrupted half-way is resumed without copying anything twice. Users' states (which
 * outlive sessions) come along with their versions.
 */

const N = 300;
const EXPIRED = 12;
/** User states in the source: the three signed-up users' and those of former users. */
const USER_STATES = 40;
const HOUR = 3_600_000;
const PASSWORD = "correct horse battery";
const available = Boolean(inject("redisUrl")) && Boolean(inject("databaseUrl"));

/** A store that dies after `creates` successful creates, as a target going away mid-run. */
function dyingAfter(store: Store, creates: number): Store {
  let left = creates;
  return {
    ...store,
    create: async (record, options) => {
      if (left-- <= 0) throw new StoreUnavailableError("The target went away.");
      return store.create(record, options);
    },
  };
}

async function all(store: Store, now: number): Promise<SessionRecord[]> {
  const records: SessionRecord[] = [];
  for await (const record of scanAll(store, { now: () => now, pageSize: 97 })) records.push(record);
  return records;
}

describe.skipIf(!available)("stint migrate SQLite → Redis → PostgreSQL", () => {
  let dir: string;
  let previousCwd: string;
  let redis: RedisServer;
  let postgres: PostgresServer;
  let sqliteUrl: string;
  let source: Store;
  let redisTarget: Store;
  let postgresTarget: Store;
  /** Sessions made through a real Stint, with the cookies that must keep working. */
  const browsers: Array<{ browser: TestBrowser; username: string; sessionId: string }> = [];
  const userIds = new Set<string>();
  const now = Date.now();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "stint-migrate-"));
    // `stint migrate` opens the users' file beside the stores it is given (./data): keep it here.
    previousCwd = process.cwd();
    process.chdir(dir);
    [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
    sqliteUrl = `sqlite:${join(dir, "stint.db")}`;

    // A few sessions made the real way, over HTTP, with their users in the same SQLite file.
    const server = await startStintServer({ storeUrl: sqliteUrl, usersPath: join(dir, "stint.db") });
    try {
      for (const username of ["alice", "bob", "carol"]) {
        const browser = new TestBrowser(server.target, `Browser of ${username}`);
        const registered = await browser.post("/api/auth/register", { username, password: PASSWORD });
        expect(registered.status).toBe(201);
        const loggedIn = await browser.post("/api/auth/login", { username, password: PASSWORD, remember: true });
        expect(loggedIn.status).toBe(200);
        const patched = await browser.patch("/api/session/state", { set: { workspace: `${username}'s`, n: 1 } });
        expect(patched.status).toBe(200);
        // Preferences that follow the user: written twice, so version 2 must arrive as 2.
        for (const theme of ["light", "dark"]) {
          expect((await browser.patch("/api/user/state", { set: { theme, language: username } })).status).toBe(200);
        }
        browsers.push({ browser, username, sessionId: loggedIn.body.session.id });
      }
    } finally {
      await server.close();
    }

    // The rest made directly in the store: every field varied, some already expired.
    source = (await openStoreUrl(sqliteUrl)).store;
    const made = (await all(source, now)).length;
    for (let i = 0; made + i < N + EXPIRED; i++) {
      const userId = i % 3 === 0 ? null : `u_user${i % 7}`;
      const createdAt = now - (i + 1) * 60_000;
      const expired = i < EXPIRED;
      await source.create(
        makeRecord({
          userId,
          createdAt,
          lastSeenAt: createdAt + 1_000,
          expiresAt: expired ? now - 1_000 - i : now + HOUR + i * 1_000,
          absoluteExpiresAt: now + 24 * HOUR + i,
          authenticatedAt: userId ? createdAt : null,
          persistent: i % 4 === 0,
          version: 1 + (i % 17),
          data: i % 5 === 0 ? {} : { cart: [i, "é✓", { nested: true }], note: `n${i}`, empty: {}, nothing: null },
          state: i % 6 === 0 ? {} : { workspace: `w${i}`, theme: i % 2 ? "dark" : "light", ratio: i / 7 },
          updatedAt: createdAt + 2_000,
          meta: { userAgent: `Agent ${i}`, ip: `203.0.113.${i % 250}`, fingerprint: i % 2 ? `fp${i}` : null },
        }),
        { now: expired ? now - 10 * HOUR : now },
      );
      if (userId) userIds.add(userId);
    }
    for (const { sessionId } of browsers) {
      const record = await source.get(sessionId, now);
      if (record?.userId) userIds.add(record.userId);
    }
    // User states outlive sessions: some of users with no session left at all.
    for (let i = 0; i < USER_STATES - browsers.length; i++) {
      await source.userState?.patch(`u_former${i}`, {
        set: { theme: `t${i}`, nested: { i, list: [i, null] } },
        now: now - i,
      });
    }
    redisTarget = (await openStoreUrl(redis.url)).store;
    postgresTarget = (await openStoreUrl(postgres.url)).store;
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled([source?.close(), redisTarget?.close(), postgresTarget?.close()]);
    await Promise.allSettled([redis?.dispose(), postgres?.dispose()]);
    if (previousCwd) process.chdir(previousCwd);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Every live record, the user index and the live count are the same on both sides. */
  async function expectSame(from: Store, to: Store) {
    const at = Date.now();
    const expected = await all(from, at);
    expect(expected).toHaveLength(N);
    expect(await all(to, at)).toEqual(expected);
    for (const record of expected) expect(await to.get(record.id, at)).toEqual(record);
    for (const userId of userIds) {
      const mine = await from.listByUser(userId, at);
      expect(mine.length).toBeGreaterThan(0);
      expect(await to.listByUser(userId, at)).toEqual(mine);
    }
    expect(await to.count?.(at)).toBe(N);
    const states = await userStates(from);
    expect(states.size).toBe(USER_STATES);
    expect(await userStates(to)).toEqual(states);
  }

  /** Every user's state of a store, by user. */
  async function userStates(store: Store): Promise<Map<string, UserStateRecord>> {
    const states = new Map<string, UserStateRecord>();
    for await (const { userId, record } of store.userState?.entries?.() ?? []) states.set(userId, record);
    return states;
  }

  it("copies every live session to Redis, resuming an interrupted run without copying twice", async () => {
    const ids = (await all(source, now)).map((record) => record.id);
    expect(ids).toHaveLength(N);

    // The first run dies after 120 sessions.
    await expect(migrateSessions(source, dyingAfter(redisTarget, 120))).rejects.toThrow(StoreUnavailableError);
    expect(await redisTarget.count?.(Date.now())).toBe(120);

    // Resumed from an earlier progress point than where it died: the overlap is skipped.
    const lines: string[] = [];
    await migrateCommand(["--from", sqliteUrl, "--to", redis.url, "--after", ids[99] as string], (line) =>
      lines.push(line),
    );
    expect(lines.join("\n")).toContain(`${N - 100} live sessions read, ${N - 120} copied, 20 already there.`);
    expect(lines.join("\n")).toContain(`Live sessions now: ${N} in the source, ${N} in the target.`);
    expect(lines.join("\n")).toContain(`User states: ${USER_STATES} read, ${USER_STATES} copied, 0 already there.`);
    expect(lines.at(-1)).toBe("Every copied session and user state was read back and matches its source.");

    // A full run now finds everything there.
    lines.length = 0;
    await migrateCommand(["--from", sqliteUrl, "--to", redis.url], (line) => lines.push(line));
    expect(lines.join("\n")).toContain(`${N} live sessions read, 0 copied, ${N} already there.`);
    expect(lines.join("\n")).toContain(`User states: ${USER_STATES} read, 0 copied, ${USER_STATES} already there.`);

    await expectSame(source, redisTarget);
    // Expired sessions were not copied.
    const client = new Redis(redis.url);
    try {
      expect(await client.zcard("{stint:}ids")).toBe(N);
      // Redis drops each session itself at its expiry (PEXPIREAT).
      for (const record of await all(source, Date.now())) {
        expect(await client.pexpiretime(`{stint:}s:${record.id}`)).toBe(Math.ceil(record.expiresAt));
      }
    } finally {
      client.disconnect();
    }
  });

  it("copies every session on from Redis to PostgreSQL, equal to the SQLite original", async () => {
    const lines: string[] = [];
    await migrateCommand(["--from", redis.url, "--to", postgres.url], (line) => lines.push(line));
    expect(lines.join("\n")).toContain(`${N} live sessions read, ${N} copied, 0 already there.`);
    expect(lines.join("\n")).toContain(`User states: ${USER_STATES} read, ${USER_STATES} copied, 0 already there.`);
    await expectSame(redisTarget, postgresTarget);
    await expectSame(source, postgresTarget);
  });

  it("the sessions made on SQLite keep working, same cookies, on a Stint backed by PostgreSQL", async () => {
    const server = await startStintServer({ storeUrl: postgres.url, usersPath: join(dir, "stint.db") });
    try {
      for (const { browser, username, sessionId } of browsers) {
        const moved = new TestBrowser(server.target, browser.userAgent);
        for (const [name, value] of browser.cookies) moved.cookies.set(name, value);
        const info = await moved.get("/api/session");
        expect(info.status).toBe(200);
        expect(info.body.session.id).toBe(sessionId);
        expect(info.body.session.persistent).toBe(true);
        expect(info.body.user.username).toBe(username);
        const state = await moved.get("/api/session/state");
        expect(state.body.state).toEqual({ workspace: `${username}'s`, n: 1 });
        // The user's preferences came along, at the version the devices know.
        const preferences = await moved.get("/api/user/state");
        expect(preferences.body).toMatchObject({ state: { theme: "dark", language: username }, version: 2 });
        const next = await moved.patch("/api/user/state", { set: { theme: "light" }, ifVersion: 2 });
        expect(next.status).toBe(200);
        // The device list comes from the user index: present on the new store.
        const devices = await moved.get("/api/sessions");
        expect(devices.body.sessions.map((device: { id: string }) => device.id)).toEqual([sessionId]);
      }
    } finally {
      await server.close();
    }
  });
});
