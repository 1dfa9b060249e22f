import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { type RedisStoreClient, redisStore } from "stint/redis";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { StoreUnavailableError } from "../../src/core/errors.js";
import { makeRecord } from "../../src/testing.js";
import { type RedisServer, startRedis } from "../support/services.js";

const HOUR = 60 * 60 * 1000;

/** The client, recording the name of every command the store sends through it. */
function counting(client: Redis): { client: RedisStoreClient; sent: string[] } {
  const sent: string[] = [];
  const count = <T>(name: string, reply: Promise<T>): Promise<T> => {
    sent.push(name);
    return reply;
  };
  const wrapped: RedisStoreClient = {
    hgetall: (key) => count("hgetall", client.hgetall(key)),
    evalsha: (sha, numkeys, ...args) => count("evalsha", client.evalsha(sha, numkeys, ...args)),
    eval: (script, numkeys, ...args) => count("eval", client.eval(script, numkeys, ...args)),
    zcount: (key, min, max) => count("zcount", client.zcount(key, min, max)),
    ping: () => count("ping", client.ping()),
    publish: (channel, message) => count("publish", client.publish(channel, message)),
    duplicate: (options) => client.duplicate(options),
  };
  return { client: wrapped, sent };
}

/** Calls of each command on the server since its start, from INFO commandstats. */
async function commandCalls(client: Redis): Promise<Record<string, number>> {
  const info = await client.info("commandstats");
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[match[1] as string] = Number(match[2]);
  return calls;
}

function delta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const changed: Record<string, number> = {};
  for (const [name, calls] of Object.entries(after)) {
    if (calls !== (before[name] ?? 0)) changed[name] = calls - (before[name] ?? 0);
  }
  return changed;
}

// A server of this file's own, so INFO commandstats counts only these tests' commands and
// it can be stopped without disturbing other files.
describe.skipIf(!inject("redisUrl"))("redisStore on a real server", () => {
  let server: RedisServer;
  let client: Redis;
  const connect = (url: string) => {
    const made = new Redis(url, { maxRetriesPerRequest: 1 });
    // This file stops the server on purpose; failed commands report it.
    made.on("error", () => {});
    return made;
  };

  beforeAll(async () => {
    server = await startRedis({ appendonly: true });
    client = connect(server.url);
  });

  afterAll(async () => {
    client?.disconnect();
    await server?.dispose();
  });

  /** @see issue 7: one Redis command per read request. */
  it("reads a session with one Redis command (HGETALL), seen by the client and the server", async () => {
    const now = Date.now();
    const { client: wrapped, sent } = counting(client);
    // Without the cache every read goes to Redis (with it, see the next test).
    const store = redisStore({ client: wrapped, prefix: `unit:${randomUUID()}:`, cache: false });
    const record = makeRecord({ userId: "alice", data: { cart: ["apple"] }, state: { theme: "dark" } });
    await store.create(record, { now });

    sent.length = 0;
    const before = await commandCalls(client);
    expect(await store.get(record.id, now)).toStrictEqual(record);
    const after = await commandCalls(client);
    expect(sent).toEqual(["hgetall"]);
    // The INFO call itself is counted once between the two snapshots.
    expect(delta(before, after)).toEqual({ hgetall: 1, info: 1 });

    sent.length = 0;
    expect(await store.get(makeRecord().id, now)).toBeNull();
    expect(sent).toEqual(["hgetall"]);
  });

  it("with the cache, a session this process created or changed is read with no command at all", async () => {
    const now = Date.now();
    const prefix = `unit:${randomUUID()}:`;
    const { client: wrapped, sent } = counting(client);
    const store = redisStore({ client: wrapped, prefix });
    const uncached = redisStore({ client, prefix, cache: false });
    try {
      // The cache keeps nothing until its pub/sub link listens: wait until a fresh session is
      // answered from memory.
      await vi.waitFor(async () => {
        const probe = makeRecord();
        await store.create(probe, { now });
        sent.length = 0;
        await store.get(probe.id, now);
        expect(sent).toEqual([]);
      });
      const record = makeRecord({ userId: "alice", data: { cart: ["apple"] } });
      await store.create(record, { now });
      sent.length = 0;
      expect(await store.get(record.id, now)).toStrictEqual(record);
      expect(sent).toEqual([]);
      const patched = await store.patch(record.id, { dataSet: { cart: ["pear"] }, now: now + 1 });
      expect(patched.ok).toBe(true);
      sent.length = 0;
      const read = await store.get(record.id, now + 1);
      expect(sent).toEqual([]);
      expect(read?.data).toEqual({ cart: ["pear"] });
      // What this process kept is exactly what Redis holds.
      expect(read).toStrictEqual(await uncached.get(record.id, now + 1));
    } finally {
      await store.close();
      await uncached.close();
    }
  });

  it("sets PEXPIREAT at expiresAt, so Redis drops a dead session by itself", async () => {
    const prefix = `unit:${randomUUID()}:`;
    const store = redisStore({ client, prefix });
    const now = Date.now();
    const lasting = makeRecord({ expiresAt: now + HOUR });
    const short = makeRecord({ expiresAt: now + 200 });
    await store.create(lasting, { now });
    await store.create(short, { now });
    const key = (id: string) => `{${prefix}}s:${id}`;

    const ttl = await client.pttl(key(lasting.id));
    expect(ttl).toBeGreaterThan(HOUR - 5_000);
    expect(ttl).toBeLessThanOrEqual(HOUR);
    expect(await client.pexpiretime(key(lasting.id))).toBe(lasting.expiresAt);

    // A touch moves the expiry with it.
    await store.patch(lasting.id, { lastSeenAt: now + 1, expiresAt: now + 2 * HOUR, now });
    expect(await client.pexpiretime(key(lasting.id))).toBe(now + 2 * HOUR);

    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await client.exists(key(short.id))).toBe(0);
    // Only its index entries are left, and cleanup removes exactly those.
    expect(await store.deleteExpired(Date.now(), 100)).toBe(1);
    expect(await client.zcard(`{${prefix}}expiry`)).toBe(1);
  });

  it("keeps every key of a store under one hash tag (one Redis Cluster slot)", async () => {
    const prefix = `unit:${randomUUID()}:`;
    const store = redisStore({ client, prefix });
    const now = Date.now();
    await store.create(makeRecord({ userId: "bob", data: { a: 1 } }), { now, maxPerUser: 3 });
    const keys = await client.keys(`*${prefix}*`);
    expect(keys.length).toBeGreaterThanOrEqual(5);
    for (const key of keys) expect(key.startsWith(`{${prefix}}`)).toBe(true);
    expect(() => redisStore({ client, prefix: "a{b}:" })).toThrow(/hash tag/);
  });

  it("a store given a URL fails fast while Redis is down and works again after a restart", async () => {
    // Reads that go to Redis (the cache's own behaviour when its link drops is in
    // test/reliability/cache.test.ts).
    const store = redisStore({ url: server.url, prefix: `unit:${randomUUID()}:`, timeoutMs: 1_000, cache: false });
    try {
      const now = Date.now();
      const record = makeRecord({ data: { kept: true } });
      await store.create(record, { now });

      await server.kill();
      const started = Date.now();
      await expect(store.get(record.id, now)).rejects.toBeInstanceOf(StoreUnavailableError);
      // Failed, not hung until the server came back (generous: a loaded machine is slow).
      expect(Date.now() - started).toBeLessThan(8_000);
      expect((await store.health()).ok).toBe(false);

      await server.restart();
      // The client reconnects by itself, with capped backoff; appendfsync always kept the record.
      await expect.poll(() => store.health().then((health) => health.ok), { timeout: 5_000 }).toBe(true);
      expect(await store.get(record.id, now)).toStrictEqual(record);
    } finally {
      await store.close();
      client.disconnect();
      client = connect(server.url);
    }
  });
});
