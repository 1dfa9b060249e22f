import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Redis } from "ioredis";
import { sqliteUserStore } from "stint/accounts";
import { makeRecord } from "stint/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openStoreUrl } from "../../src/stores/from-url.js";
import { type Fetcher, TestBrowser } from "../support/browser.js";
import { runCli, startServe } from "../support/cli.js";
import { openEventStream } from "../support/event-stream.js";
import { childPids, commandOf, isRunning } from "../support/processes.js";
import { freePort, startRedis } from "../support/services.js";

/**
 * The real `stint` command line (API.md "The command line", issue 3 item 7, issue 4 item 5),
 * spawned in a temp directory as a person would run it.
 */

const PASSWORD = "correct horse battery";
const SECRET = "cli-test-secret-0123456789abcdefghijklmnopqrstuvwxyz";
const HOUR = 3_600_000;
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "stint-cli-"));
  dirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A browser on a served URL, over the runtime's fetch (keep-alive, like a real browser). */
const browserOn = (url: string, userAgent?: string) =>
  new TestBrowser({ baseUrl: url, fetch: (request) => fetch(request) }, userAgent);

/**
 * A fetch that opens a new connection for every request, so node:cluster's round robin
 * spreads a browser's requests over every worker.
 */
const freshConnectionFetch: Fetcher = async (request) => {
  const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
  return new Promise<Response>((resolve, reject) => {
    const outgoing = httpRequest(
      request.url,
      { method: request.method, headers: Object.fromEntries(request.headers), agent: false },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
        incoming.on("end", () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(incoming.headers)) {
            if (Array.isArray(value)) for (const item of value) headers.append(name, item);
            else if (value !== undefined) headers.set(name, value);
          }
          const status = incoming.statusCode ?? 0;
          resolve(new Response(status === 204 ? null : Buffer.concat(chunks), { status, headers }));
        });
      },
    );
    outgoing.on("error", reject);
    outgoing.end(body);
  });
};

describe("stint serve", () => {
  it("prints one line with its URL when ready, serves /api/health and keeps its secret in ./data/secret (0600)", async () => {
    const cwd = tempDir();
    const port = await freePort();
    const server = await startServe(["--port", String(port)], { cwd });
    try {
      expect(server.url).toBe(`http://127.0.0.1:${port}`);
      const health = await fetch(`${server.url}/api/health`);
      expect(health.status).toBe(200);
      expect(health.headers.get("cache-control")).toContain("no-store");
      const report = await health.json();
      expect(report.status).toBe("ok");
      expect(report.store.kind).toBe("sqlite");

      const secretFile = join(cwd, "data", "secret");
      expect(statSync(secretFile).mode & 0o777).toBe(0o600);
      expect(statSync(join(cwd, "data")).mode & 0o077).toBe(0);
      expect(readFileSync(secretFile, "utf8").trim().length).toBeGreaterThanOrEqual(32);
      expect(existsSync(join(cwd, "data", "stint.db"))).toBe(true);
    } finally {
      const exit = await server.stop("SIGTERM");
      expect(exit).toEqual({ code: 0, signal: null });
    }
    const lines = server.stdout.split("\n").filter((line) => line.trim() !== "");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(server.url);
  });

  it("reuses ./data/secret on the next start: a session survives a restart", async () => {
    const cwd = tempDir();
    const first = await startServe(["--port", String(await freePort())], { cwd });
    const target = { baseUrl: first.url, fetch: (request: Request) => fetch(request) };
    const browser = new TestBrowser(target);
    let sessionId: string;
    try {
      const registered = await browser.post("/api/auth/register", { username: "alice", password: PASSWORD });
      expect(registered.status).toBe(201);
      sessionId = registered.body.session.id;
      expect((await browser.patch("/api/session/state", { set: { workspace: "kept" } })).status).toBe(200);
    } finally {
      expect(await first.stop()).toEqual({ code: 0, signal: null });
    }
    const secret = readFileSync(join(cwd, "data", "secret"), "utf8");

    const second = await startServe(["--port", String(await freePort())], { cwd });
    try {
      target.baseUrl = second.url;
      const info = await browser.get("/api/session");
      expect(info.status).toBe(200);
      expect(info.body.session.id).toBe(sessionId);
      expect(info.body.user.username).toBe("alice");
      expect((await browser.get("/api/session/state")).body.state).toEqual({ workspace: "kept" });
      expect(readFileSync(join(cwd, "data", "secret"), "utf8")).toBe(secret);
    } finally {
      expect(await second.stop()).toEqual({ code: 0, signal: null });
    }
  });

  it("on SIGTERM finishes a request in flight, ends open event streams and exits 0", async () => {
    const cwd = tempDir();
    const server = await startServe(["--port", String(await freePort())], { cwd });
    try {
      const browser = browserOn(server.url);
      expect((await browser.post("/api/auth/register", { username: "alice", password: PASSWORD })).status).toBe(201);
      const stream = await openEventStream(server.url, { cookie: browser.cookieHeader, userAgent: browser.userAgent });
      expect(stream.status).toBe(200);

      // A PATCH whose body is still arriving when the signal comes.
      const url = new URL("/api/session/state", server.url);
      let answered: (value: { status: number; body: string }) => void = () => {};
      const answer = new Promise<{ status: number; body: string }>((resolve) => {
        answered = resolve;
      });
      const inFlight = httpRequest(url, {
        method: "PATCH",
        agent: false,
        headers: {
          cookie: browser.cookieHeader,
          "user-agent": browser.userAgent,
          origin: url.origin,
          "x-csrf-token": browser.csrfToken ?? "",
          "content-type": "application/json",
          "transfer-encoding": "chunked",
        },
      });
      inFlight.on("response", (response) => {
        let body = "";
        response.on("data", (chunk) => {
          body += chunk;
        });
        response.on("end", () => answered({ status: response.statusCode ?? 0, body }));
      });
      inFlight.on("error", (error) => answered({ status: 0, body: String(error) }));
      inFlight.write('{"set":{"finished":');
      // And a connection that has sent nothing yet (a browser's preconnect): no reason to wait.
      const preconnect = createConnection({ host: "127.0.0.1", port: Number(url.port) });
      preconnect.on("error", () => undefined);
      await sleep(300);

      const signalled = performance.now();
      server.child.kill("SIGTERM");
      await sleep(300);
      // Shutting down already: new connections are refused, while the PATCH is still open.
      await expect(freshConnectionFetch(new Request(`${server.url}/api/health`))).rejects.toThrow(/ECONNREFUSED/);
      inFlight.end("true}}");

      const { status, body } = await answer;
      expect(status).toBe(200);
      expect(JSON.parse(body).state).toEqual({ finished: true });
      await stream.ended;
      const exit = await server.waitExit(12_000);
      const exitedAfter = performance.now() - signalled;
      console.info(`[cli] exited ${exitedAfter.toFixed(0)} ms after SIGTERM (the request ended 300 ms after it)`);
      expect(exit).toEqual({ code: 0, signal: null });
      // Promptly: not keepAliveTimeout (5 s) or the shutdown timeout (10 s) after the last response.
      expect(exitedAfter).toBeLessThan(4_500);
      preconnect.destroy();
    } finally {
      await server.stop("SIGKILL");
    }
  });

  it("refuses --workers 2 with SQLite, saying why, with a non-zero exit code", async () => {
    const cwd = tempDir();
    const result = await runCli(["serve", "--port", String(await freePort()), "--workers", "2"], { cwd });
    expect(result.code).not.toBe(0);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--workers 2");
    expect(result.stderr).toMatch(/redis:\/\/.*postgres:\/\//);
    expect(result.stdout).toBe("");
    // Refused before anything was created.
    expect(existsSync(join(cwd, "data"))).toBe(false);

    const memory = await runCli(["serve", "--port", "0", "--workers", "2", "--store", "memory:"], { cwd });
    expect(memory.code).toBe(2);
    expect(memory.stderr).toContain("memory keeps sessions or their events inside one process");
  });

  it("refuses to start with NODE_ENV=production and no secret, and starts with one", async () => {
    const cwd = tempDir();
    const port = String(await freePort());
    const refused = await runCli(["serve", "--port", port], { cwd, env: { NODE_ENV: "production" } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("NODE_ENV=production needs a secret");
    expect(refused.stdout).toBe("");
    expect(existsSync(join(cwd, "data", "secret"))).toBe(false);

    const server = await startServe(["--port", port], { cwd, env: { NODE_ENV: "production", STINT_SECRET: SECRET } });
    try {
      expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
      expect(existsSync(join(cwd, "data", "secret"))).toBe(false);
    } finally {
      expect(await server.stop()).toEqual({ code: 0, signal: null });
    }
  });

  it("reads its flags from environment variables (PORT, STINT_IDLE_TIMEOUT)", async () => {
    const cwd = tempDir();
    const port = await freePort();
    const server = await startServe([], { cwd, env: { PORT: String(port), STINT_IDLE_TIMEOUT: "90s" } });
    try {
      expect(server.url).toBe(`http://127.0.0.1:${port}`);
      const browser = browserOn(server.url);
      const registered = await browser.post("/api/auth/register", { username: "alice", password: PASSWORD });
      expect(registered.status).toBe(201);
      const { lastSeenAt, expiresAt } = registered.body.session;
      expect(Date.parse(expiresAt) - Date.parse(lastSeenAt)).toBe(90_000);
    } finally {
      expect(await server.stop()).toEqual({ code: 0, signal: null });
    }
  });

  it("opens the admin API with --admin-token or STINT_ADMIN_TOKEN, and keeps it off (404) without", async () => {
    const token = "cli-admin-token-0123456789abcdefghijklmnopqrstuvwxyz";
    const path = "/api/admin/users/u_nobody/sessions";
    const withToken = await startServe(["--port", String(await freePort())], {
      cwd: tempDir(),
      env: { STINT_ADMIN_TOKEN: token },
    });
    try {
      const tool = browserOn(withToken.url, "Ops");
      expect((await tool.get(path, { headers: { authorization: `Bearer ${token}` } })).body).toEqual({ sessions: [] });
      expect((await tool.get(path, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    } finally {
      expect(await withToken.stop()).toEqual({ code: 0, signal: null });
    }
    const without = await startServe(["--port", String(await freePort())], { cwd: tempDir() });
    try {
      const answer = await browserOn(without.url).get(path, { headers: { authorization: `Bearer ${token}` } });
      expect(answer.status).toBe(404);
    } finally {
      expect(await without.stop()).toEqual({ code: 0, signal: null });
    }
  });

  it("a bad duration is a usage error naming the flag, from a flag or its environment variable", async () => {
    const cwd = tempDir();
    const fromFlag = await runCli(["serve", "--port", "0", "--idle-timeout", "5w"], { cwd });
    expect(fromFlag.code).toBe(2);
    expect(fromFlag.stderr).toContain("--idle-timeout");
    expect(fromFlag.stderr).toContain("5w");
    expect(fromFlag.stdout).toBe("");

    const fromEnv = await runCli(["serve", "--port", "0"], { cwd, env: { STINT_ABSOLUTE_TIMEOUT: "forever" } });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toContain("--absolute-timeout");
  });

  it("a port already in use is an error and an exit, not a hang", async () => {
    const cwd = tempDir();
    const holder = await startServe(["--port", String(await freePort())], { cwd });
    try {
      const port = new URL(holder.url).port;
      const result = await runCli(["serve", "--port", port], { cwd, timeoutMs: 10_000 });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("EADDRINUSE");
    } finally {
      expect(await holder.stop()).toEqual({ code: 0, signal: null });
    }
  });
});

/** `stint serve --workers 2 --store <url>`: two workers sharing sessions and events, and SIGTERM stops them all. */
async function servesFromTwoWorkers(storeUrl: string, name: string): Promise<void> {
  const cwd = tempDir();
  const port = await freePort();
  const server = await startServe(["--port", String(port), "--workers", "2", "--store", storeUrl], { cwd });
  // Node workers only: tsx may have its esbuild service running beside them in the primary.
  const workers = childPids(server.child.pid as number).filter((pid) => commandOf(pid) !== "esbuild");
  try {
    expect(server.url).toBe(`http://127.0.0.1:${port}`);
    expect(server.stdout.split("\n").filter(Boolean)).toEqual([expect.stringContaining("2 workers")]);
    // With their command names, so an unexpected child says what it is.
    expect(workers.map((pid) => `${pid} ${commandOf(pid)}`)).toHaveLength(2);

    // Every request on a new connection: the primary deals them out to both workers in turn.
    const target = { baseUrl: server.url, fetch: freshConnectionFetch };
    const browser = new TestBrowser(target);
    const registered = await browser.post("/api/auth/register", { username: "alice", password: PASSWORD });
    expect(registered.status).toBe(201);
    const base = (await browser.get("/api/session/state")).body.version as number;
    for (let i = 0; i < 10; i++) {
      const answer = await browser.patch("/api/session/state", { set: { [`k${i}`]: i } });
      expect(answer.status).toBe(200);
      expect(answer.body.version).toBe(base + i + 1);
      const info = await browser.get("/api/session");
      expect(info.status).toBe(200);
      expect(info.body.session.id).toBe(registered.body.session.id);
    }
    const state = await browser.get("/api/session/state");
    expect(Object.keys(state.body.state)).toHaveLength(10);

    // A revocation through one worker reaches a stream held by the other (how fast: npm run bench).
    const phone = new TestBrowser(target, "Phone");
    const signedIn = await phone.post("/api/auth/login", { username: "alice", password: PASSWORD });
    expect(signedIn.status).toBe(200);
    const stream = await openEventStream(server.url, { cookie: phone.cookieHeader, userAgent: "Phone" });
    try {
      const sent = performance.now();
      expect((await browser.delete(`/api/sessions/${signedIn.body.session.id}`)).status).toBe(204);
      const revoked = await stream.next("revoked", 10_000);
      console.info(
        `[cli] --workers 2 on ${name}: revocation reached the stream in ${(revoked.at - sent).toFixed(1)} ms`,
      );
    } finally {
      stream.close();
    }

    expect(existsSync(join(cwd, "data", "users.db"))).toBe(true);
  } finally {
    const exit = await server.stop("SIGTERM");
    expect(exit).toEqual({ code: 0, signal: null });
  }
  for (const pid of workers) expect(isRunning(pid)).toBe(false);
}

describe.skipIf(!inject("redisUrl"))("stint serve --workers 2 on Redis", () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;

  beforeAll(async () => {
    redis = await startRedis();
  });

  afterAll(async () => {
    await redis?.dispose();
  });

  it("serves from two workers sharing sessions and events, and SIGTERM stops them all", () =>
    servesFromTwoWorkers(redis.url, "Redis"));

  it("sessions revoke publishes the revocation over Redis: a running server's open stream ends at once", async () => {
    const cwd = tempDir();
    const server = await startServe(["--port", String(await freePort()), "--store", redis.url], { cwd });
    const listener = new Redis(redis.url);
    const published: string[] = [];
    listener.on("message", (_channel, message) => published.push(message));
    await listener.subscribe("stint:events");
    try {
      const browser = browserOn(server.url, "Laptop");
      const registered = await browser.post("/api/auth/register", { username: "carol", password: PASSWORD });
      expect(registered.status).toBe(201);
      const sessionId = registered.body.session.id;
      const stream = await openEventStream(server.url, { cookie: browser.cookieHeader, userAgent: "Laptop" });
      try {
        const revoked = await runCli(["sessions", "revoke", sessionId, "--store", redis.url], { cwd });
        expect(revoked.code).toBe(0);
        expect(revoked.stdout.trim()).toBe("Revoked 1 session.");
        const exited = performance.now();
        // Not the streams' 5 s re-check: the CLI itself published the event before it exited.
        expect(published.map((message) => JSON.parse(message))).toContainEqual({
          sessionId,
          type: "revoked",
          data: {},
        });
        const event = await stream.next("revoked", 2_000);
        expect(event.at - exited).toBeLessThan(1_000);
      } finally {
        stream.close();
      }
    } finally {
      await listener.quit();
      expect(await server.stop()).toEqual({ code: 0, signal: null });
    }
  });

  it("fails once, without forking, on a bad flag; and exits when it cannot start, never hangs", async () => {
    const cwd = tempDir();
    const store = ["--workers", "2", "--store", redis.url];
    const badFlag = await runCli(["serve", "--port", "0", ...store, "--idle-timeout", "5w"], { cwd });
    expect(badFlag.code).toBe(2);
    // One message from the primary (with the usage), not one per (restarted) worker.
    expect(badFlag.stderr.trim().split("\n")[0]).toContain("--idle-timeout");
    expect(badFlag.stderr.split("Usage: stint serve")).toHaveLength(2);
    expect(badFlag.stderr.match(/--idle-timeout: /g)).toHaveLength(1);

    const holder = await startServe(["--port", String(await freePort())], { cwd: tempDir() });
    try {
      const taken = await runCli(["serve", "--port", new URL(holder.url).port, ...store], { cwd, timeoutMs: 10_000 });
      expect(taken.code).toBe(1);
      expect(taken.stderr).toContain("EADDRINUSE");
      expect(taken.stderr).toContain("while starting; stopping");
      expect(taken.stderr).not.toContain("starting another");
      // One process, same: its open Redis connections must not keep a failed start alive.
      const single = await runCli(["serve", "--port", new URL(holder.url).port, "--store", redis.url], {
        cwd,
        timeoutMs: 10_000,
      });
      expect(single.code).toBe(1);
      expect(single.stderr).toContain("EADDRINUSE");
    } finally {
      expect(await holder.stop()).toEqual({ code: 0, signal: null });
    }
  });
});

describe.skipIf(!inject("redisClusterUrl"))("stint serve --workers 2 on a Redis Cluster", () => {
  it("serves from two workers sharing sessions and events, and SIGTERM stops them all", () =>
    servesFromTwoWorkers(inject("redisClusterUrl"), "a Redis Cluster"));

  it("stint stats and stint sessions list read every master", async () => {
    const cwd = tempDir();
    const store = ["--store", inject("redisClusterUrl")];
    const stats = await runCli(["stats", ...store, "--json"], { cwd });
    expect(stats.code).toBe(0);
    const report = JSON.parse(stats.stdout);
    expect(report.store.kind).toBe("redis-cluster");
    expect(report.store.ok).toBe(true);
    expect(report.sessions.active).toBeGreaterThanOrEqual(0);
    const listed = await runCli(["sessions", "list", ...store, "--json"], { cwd });
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toHaveLength(report.sessions.active);
  });

  it("finds a user's sessions with the servers' STINT_SHARD_KEY, and only with it", async () => {
    const cwd = tempDir();
    // The CLI keeps the users beside a shared store in ./data/users.db.
    mkdirSync(join(cwd, "data"));
    const database = new Database(join(cwd, "data", "users.db"));
    const carol = await sqliteUserStore({ database }).create("carol", "$argon2id$not-a-real-hash");
    database.close();
    const shardKey = "the app's shard key";
    const { redisStore } = await import("stint/redis");
    const app = redisStore({ url: inject("redisClusterUrl"), shardKey });
    const now = Date.now();
    for (let i = 0; i < 2; i++) {
      await app.create(makeRecord({ id: app.newId?.(carol.id), userId: carol.id }), { now });
    }
    await app.close();
    const store = ["--store", inject("redisClusterUrl")];
    const list = ["sessions", "list", "--user", "carol", ...store, "--json"];
    // Without the key the CLI looks in another bucket: nothing there.
    expect(JSON.parse((await runCli(list, { cwd })).stdout)).toEqual([]);
    const keyed = { cwd, env: { STINT_SHARD_KEY: shardKey } };
    expect(JSON.parse((await runCli(list, keyed)).stdout)).toHaveLength(2);
    const revoked = await runCli(["sessions", "revoke", "--user", "carol", ...store], keyed);
    expect(revoked.code).toBe(0);
    expect(JSON.parse((await runCli(list, keyed)).stdout)).toEqual([]);
  });
});

describe.concurrent("stint sessions, cleanup and stats on a SQLite file", () => {
  const now = Date.now();
  let template: string;
  const ids = {} as Record<"alice1" | "alice2" | "bob1" | "bob2" | "anon" | "aliceOld" | "anonOld", string>;

  beforeAll(async () => {
    template = join(tempDir(), "template.db");
    const { store, database } = await openStoreUrl(`sqlite:${template}`);
    const users = sqliteUserStore({ database: database as NonNullable<typeof database> });
    const alice = await users.create("alice", "$argon2id$not-a-real-hash");
    const bob = await users.create("bob", "$argon2id$not-a-real-hash");
    await users.create("carol", "$argon2id$not-a-real-hash");
    const make = async (name: keyof typeof ids, userId: string | null, ageHours: number, overrides = {}) => {
      const createdAt = now - ageHours * HOUR;
      const record = makeRecord({
        userId,
        createdAt,
        lastSeenAt: createdAt,
        expiresAt: now + HOUR,
        authenticatedAt: userId ? createdAt : null,
        meta: { userAgent: `Agent of ${name}`, ip: "203.0.113.9", fingerprint: null },
        ...overrides,
      });
      await store.create(record, { now: createdAt });
      ids[name] = record.id;
    };
    await make("alice1", alice.id, 3, { persistent: true });
    await make("alice2", alice.id, 2);
    await make("bob1", bob.id, 5);
    await make("bob2", bob.id, 1);
    await make("anon", null, 4);
    await make("aliceOld", alice.id, 48, { expiresAt: now - HOUR });
    await make("anonOld", null, 30, { expiresAt: now - 60_000 });
    await store.close();
  });

  /** A copy of the prepared file in a directory of its own, for commands that change it. */
  const prepared = () => {
    const cwd = tempDir();
    copyFileSync(template, join(cwd, "stint.db"));
    return { cwd, store: "sqlite:./stint.db" };
  };
  const live = ["alice1", "alice2", "bob1", "bob2", "anon"] as const;
  const listJson = async (cwd: string, store: string, extra: string[] = []) => {
    const result = await runCli(["sessions", "list", "--store", store, "--json", ...extra], { cwd });
    expect(result.code).toBe(0);
    return (JSON.parse(result.stdout) as Array<{ id: string; user: string | null }>).map((row) => row.id);
  };
  const rowsInFile = (cwd: string) => {
    const database = new Database(join(cwd, "stint.db"), { readonly: true });
    try {
      return (database.prepare("SELECT id FROM stint_sessions").all() as Array<{ id: string }>).map((row) => row.id);
    } finally {
      database.close();
    }
  };

  it("sessions list shows every live session; --user only that user's, newest first", async ({ expect }) => {
    const { cwd, store } = prepared();
    const all = await runCli(["sessions", "list", "--store", store], { cwd });
    expect(all.code).toBe(0);
    const lines = all.stdout.trim().split("\n");
    expect(lines[0]?.split("\t")).toEqual(["id", "user", "last seen", "expires", "ip", "user agent"]);
    expect(lines.at(-1)).toBe("5 live sessions");
    for (const name of live) expect(all.stdout).toContain(ids[name]);
    expect(all.stdout).not.toContain(ids.aliceOld);
    expect(all.stdout).not.toContain(ids.anonOld);
    expect(lines.find((line) => line.startsWith(ids.bob1))).toContain("\tbob\t");
    expect(lines.find((line) => line.startsWith(ids.anon))).toContain("(anonymous)");

    const alice = await runCli(["sessions", "list", "--user", "alice", "--store", store], { cwd });
    expect(alice.code).toBe(0);
    const rows = alice.stdout.trim().split("\n");
    expect(rows.slice(1, -1).map((line) => line.split("\t")[0])).toEqual([ids.alice2, ids.alice1]);
    expect(rows.at(-1)).toBe("2 live sessions");

    const nobody = await runCli(["sessions", "list", "--user", "nobody", "--store", store], { cwd });
    expect(nobody.code).toBe(2);
    expect(nobody.stderr).toContain('No user named "nobody"');
  });

  it("sessions revoke ID revokes that session only; an unknown id is an error", async ({ expect }) => {
    const { cwd, store } = prepared();
    const revoked = await runCli(["sessions", "revoke", ids.alice1, "--store", store], { cwd });
    expect(revoked.code).toBe(0);
    expect(revoked.stdout.trim()).toBe("Revoked 1 session.");
    expect((await listJson(cwd, store)).sort()).toEqual(
      live
        .filter((n) => n !== "alice1")
        .map((n) => ids[n])
        .sort(),
    );

    const again = await runCli(["sessions", "revoke", ids.alice1, "--store", store], { cwd });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("No live session with id");
    const neither = await runCli(["sessions", "revoke", "--store", store], { cwd });
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain("exactly one of");
  });

  it("sessions revoke --user NAME revokes every session of that user", async ({ expect }) => {
    const { cwd, store } = prepared();
    const revoked = await runCli(["sessions", "revoke", "--user", "bob", "--store", store], { cwd });
    expect(revoked.code).toBe(0);
    expect(revoked.stdout.trim()).toBe("Revoked 2 sessions.");
    expect((await listJson(cwd, store)).sort()).toEqual([ids.alice1, ids.alice2, ids.anon].sort());
  });

  it("sessions revoke --all revokes every live session", async ({ expect }) => {
    const { cwd, store } = prepared();
    const revoked = await runCli(["sessions", "revoke", "--all", "--store", store], { cwd });
    expect(revoked.code).toBe(0);
    expect(revoked.stdout.trim()).toBe("Revoked 5 sessions.");
    const list = await runCli(["sessions", "list", "--store", store], { cwd });
    expect(list.stdout.trim().split("\n").at(-1)).toBe("0 live sessions");
  });

  it("cleanup deletes the expired sessions and keeps the live ones", async ({ expect }) => {
    const { cwd, store } = prepared();
    expect(rowsInFile(cwd)).toHaveLength(7);
    const result = await runCli(["cleanup", "--store", store], { cwd });
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe("Deleted 2 expired sessions.");
    expect(rowsInFile(cwd).sort()).toEqual(live.map((name) => ids[name]).sort());
    const again = await runCli(["cleanup", "--store", store], { cwd });
    expect(again.stdout.trim()).toBe("Deleted 0 expired sessions.");
  });

  it("stats counts sessions and users, as text and with --json (store from STINT_STORE)", async ({ expect }) => {
    const { cwd, store } = prepared();
    const text = await runCli(["stats", "--store", store], { cwd });
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^store\s+sqlite \(sqlite:\.\/stint\.db\) ok, [\d.]+ ms$/);
    expect(lines[1]).toMatch(/^sessions\s+5 active: 4 signed in, 1 anonymous, 1 remembered$/);
    expect(lines[2]).toMatch(/^users\s+2 with sessions, 3 registered$/);

    const json = await runCli(["stats", "--json"], { cwd, env: { STINT_STORE: store } });
    expect(json.code).toBe(0);
    const stats = JSON.parse(json.stdout);
    expect(stats.store).toMatchObject({ kind: "sqlite", url: store, ok: true });
    expect(stats.sessions).toEqual({ active: 5, authenticated: 4, anonymous: 1, persistent: 1 });
    expect(stats.users).toEqual({ withSessions: 2, registered: 3 });
  });
});
