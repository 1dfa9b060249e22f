import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { StoreConflictError, StoreUnavailableError } from "../core/errors.js";
import { type RedisPubSubClient, redisPubSub } from "../transports/redis.js";
import { type CacheOptions, SessionCache } from "./cache.js";
import { parseStored } from "./record-check.js";
import { type RedisScript, scripts } from "./redis-scripts.js";
import { redisUserState } from "./redis-user-state.js";
import type { CompleteStore, JsonObject, SessionRecord } from "./store.js";

/**
 * The Redis commands the store sends, typed structurally: an ioredis `Redis` (or `Cluster`)
 * fits, and so does any client offering these methods with ioredis's argument order.
 * `publish` and `duplicate` carry Stint's events between processes (pub/sub).
 */
export interface RedisStoreClient extends RedisPubSubClient {
  hgetall(key: string): Promise<Record<string, string>>;
  evalsha(sha1: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(script: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>;
  zcount(key: string, min: string, max: string): Promise<number>;
  ping(): Promise<string>;
}

interface CommonOptions {
  /**
   * The exact per-process cache of session records (on by default): reads are answered from
   * memory, and every change by any process drops the record through Redis pub/sub. `false`
   * sends every read to Redis.
   */
  cache?: CacheOptions | false;
  /**
   * Start of every key, default "stint:". It is wrapped in braces, `{stint:}s:<id>`, so all
   * keys of a store share one Redis Cluster hash slot; it must not contain braces itself.
   */
  prefix?: string;
}

export interface RedisUrlOptions extends CommonOptions {
  /** `redis://[user:password@]host:port/db` or `rediss://…`: the store opens and closes its own client. */
  url: string;
  /** Bound on connecting and on every command, in ms. Default 2,000. */
  timeoutMs?: number;
}

export interface RedisClientOptions extends CommonOptions {
  /** Your ioredis client; it stays yours to close. */
  client: RedisStoreClient;
}

export type RedisStoreOptions = RedisUrlOptions | RedisClientOptions;

/**
 * Sessions in Redis (or Valkey), shared by every worker and machine. A read is one HGETALL;
 * every change is one Lua script; Redis drops expired sessions itself (PEXPIREAT). Stint's
 * events travel between the processes sharing the store over Redis pub/sub.
 *
 * On Redis Cluster all keys of a store carry one hash tag, so each script stays atomic and
 * never fails with CROSSSLOT; the cost is that one store's sessions live on one shard
 * (Cluster still gives replicas and failover). Use several prefixes to spread apps.
 * Pick `maxmemory-policy noeviction` or a `volatile-*` policy: only session hashes carry a
 * TTL, and an index entry whose hash Redis evicted is skipped and cleaned up later.
 *
 * @example
 * import { redisStore } from "stint/redis";
 * const stint = createStint({ store: redisStore({ url: process.env.REDIS_URL! }), secret });
 */
export function redisStore(options: RedisStoreOptions): CompleteStore {
  const { prefix = "stint:" } = options;
  if (/[{}]/.test(prefix)) {
    throw new TypeError(`redisStore: prefix must not contain "{" or "}" (it becomes the hash tag), got ${prefix}.`);
  }
  const own = "url" in options ? ownClient(options.url, options.timeoutMs ?? 2_000) : null;
  const client = own?.client ?? (options as RedisClientOptions).client;
  const pubsub = redisPubSub(client);
  const connecting = own?.connected ?? (() => null);
  const base = `{${prefix}}`;
  const nonce = randomBytes(9).toString("base64url");
  const cache = options.cache === false ? null : new SessionCache(pubsub, `${base}inval`, nonce, options.cache);

  /** Fail closed: any client or server failure becomes StoreUnavailableError (a 503). */
  const guard = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      const first = connecting();
      if (first) await first;
      return await call();
    } catch (error) {
      const message = String((error as Error | undefined)?.message);
      const reason = /timed? ?out/i.test(message)
        ? "timeout"
        : /connection is closed/i.test(message)
          ? "closed"
          : "unreachable";
      throw new StoreUnavailableError(`The Redis store failed: ${message}`, { cause: error, reason });
    }
  };
  /** One command per read (issue 7): expiry is checked here, not in a script. */
  const read = async (id: string, now: number): Promise<SessionRecord | null> => {
    const fields = await guard(() => client.hgetall(key.session(id)));
    const record = decode(Object.entries(fields));
    return record && record.expiresAt > now ? record : null;
  };
  const key = {
    session: (id: string) => `${base}s:${id}`,
    user: (userId: string) => `${base}u:${userId}`,
    expiry: `${base}expiry`,
    ids: `${base}ids`,
  };

  const run = async (script: RedisScript, keys: string[], args: (string | number)[]): Promise<unknown> => {
    try {
      return await client.evalsha(script.sha, keys.length, ...keys, base, nonce, ...args);
    } catch (error) {
      // A restarted or flushed server has an empty script cache: EVAL loads the script again.
      if (!String((error as Error | undefined)?.message).startsWith("NOSCRIPT")) throw error;
      return await client.eval(script.source, keys.length, ...keys, base, nonce, ...args);
    }
  };

  return {
    kind: "redis",

    async create(record, { maxPerUser, replace, now }) {
      const reply = await guard(() =>
        run(
          scripts.create,
          [key.session(record.id)],
          [
            record.id,
            now,
            record.userId ?? "",
            record.createdAt,
            record.expiresAt,
            Math.ceil(record.expiresAt),
            maxPerUser ?? "",
            replace?.id ?? "",
            replace?.required ? "1" : "",
            ...encode(record),
          ],
        ),
      );
      if (reply === null) throw new StoreConflictError();
      const [created, replaced, evicted] = reply as [number, number, string[]];
      cache?.invalidate(replace ? [replace.id, ...evicted] : evicted);
      return { created: created === 1, replaced: replaced === 1, evicted };
    },

    async get(id, now) {
      return cache ? cache.read(id, now, () => read(id, now)) : read(id, now);
    },

    peek: (id, now) => cache?.peek(id, now),

    async patch(id, patch) {
      const unset = [
        ...(patch.dataUnset ?? []).map((name) => field("d:", name)),
        ...(patch.stateUnset ?? []).map((name) => field("t:", name)),
      ];
      const set = [...members("d:", patch.dataSet ?? {}), ...members("t:", patch.stateSet ?? {})];
      const reply = (await guard(() =>
        run(
          scripts.patch,
          [key.session(id)],
          [
            id,
            patch.now,
            patch.ifVersion ?? "",
            patch.lastSeenAt ?? "",
            patch.expiresAt ?? "",
            patch.expiresAt === undefined ? "" : Math.ceil(patch.expiresAt),
            patch.maxStateBytes ?? "",
            unset.length,
            ...unset,
            ...set,
          ],
        ),
      )) as [string, string[]?];
      // Whatever the answer, a record cached here may be out of date: drop it.
      cache?.invalidate([id]);
      const [status, fields] = reply;
      if (status !== "ok" || !fields) return { ok: false, reason: status as "not_found" | "conflict" | "too_large" };
      return { ok: true, record: decode(pairs(fields)) as SessionRecord };
    },

    async delete(id) {
      const existed = (await guard(() => run(scripts.delete, [key.session(id)], [id]))) === 1;
      cache?.invalidate([id]);
      return existed;
    },

    async listByUser(userId, now) {
      const hashes = (await guard(() => run(scripts.listByUser, [key.user(userId)], []))) as string[][];
      return liveRecords(hashes, now);
    },

    async deleteByUser(userId, options = {}) {
      const args = [userId, options.except ?? ""];
      const deleted = (await guard(() => run(scripts.deleteByUser, [key.user(userId)], args))) as string[];
      cache?.invalidate(deleted);
      return deleted;
    },

    async deleteExpired(now, limit) {
      if (!(limit > 0)) return 0;
      return (await guard(() => run(scripts.deleteExpired, [key.expiry], [now, Math.floor(limit)]))) as number;
    },

    async count(now) {
      return guard(() => client.zcount(key.expiry, `(${now}`, "+inf"));
    },

    async scan({ after, limit, now }) {
      if (!(limit > 0)) return [];
      const start = after === undefined ? "-" : `(${after}`;
      const args = [start, Math.floor(limit), now];
      return liveRecords((await guard(() => run(scripts.scan, [key.ids], args))) as string[][], now);
    },

    async health() {
      const started = performance.now();
      try {
        await guard(() => client.ping());
        return { ok: true, latencyMs: performance.now() - started };
      } catch (error) {
        return { ok: false, latencyMs: performance.now() - started, detail: (error as Error).message };
      }
    },

    pubsub,
    ...(cache && { cache }),

    userState: redisUserState(client, base, guard),

    async close() {
      cache?.close();
      await pubsub.close();
      // A client given by the caller stays theirs to close.
      await own?.close();
    },
  };
}

/** Hash field of a data ("d:") or state ("t:") key: the JSON text of the key. */
function field(kind: "d:" | "t:", name: string): string {
  return kind + JSON.stringify(name);
}

/** Field/value pairs of an object's members; keys JSON.stringify would drop are skipped. */
function members(kind: "d:" | "t:", object: JsonObject): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(object)) {
    const json = JSON.stringify(value);
    if (json !== undefined) out.push(field(kind, name), json);
  }
  return out;
}

function encode(record: SessionRecord): string[] {
  const fields = [
    "id",
    record.id,
    "secretHash",
    record.secretHash,
    "createdAt",
    String(record.createdAt),
    "lastSeenAt",
    String(record.lastSeenAt),
    "expiresAt",
    String(record.expiresAt),
    "absoluteExpiresAt",
    String(record.absoluteExpiresAt),
    "persistent",
    record.persistent ? "1" : "0",
    "version",
    String(record.version),
    "updatedAt",
    String(record.updatedAt),
    "meta",
    JSON.stringify(record.meta),
  ];
  // Absent fields mean null: HGETALL has no null.
  if (record.userId !== null) fields.push("userId", record.userId);
  if (record.authenticatedAt !== null) fields.push("authenticatedAt", String(record.authenticatedAt));
  return [...fields, ...members("d:", record.data), ...members("t:", record.state)];
}

function* pairs(flat: readonly string[]): Generator<[string, string]> {
  for (let i = 0; i + 1 < flat.length; i += 2) yield [flat[i] as string, flat[i + 1] as string];
}

/**
 * The record of a hash's fields, or null for an empty (missing) hash. Data and state are
 * rebuilt as JSON text and parsed once: JSON.parse defines `__proto__` as an own key, and an
 * object without members is `{}`.
 */
function decode(fields: Iterable<[string, string]>): SessionRecord | null {
  const plain = new Map<string, string>();
  const data: string[] = [];
  const state: string[] = [];
  for (const [name, value] of fields) {
    if (name.startsWith("d:")) data.push(`${name.slice(2)}:${value}`);
    else if (name.startsWith("t:")) state.push(`${name.slice(2)}:${value}`);
    else plain.set(name, value);
  }
  const id = plain.get("id");
  if (id === undefined) return null;
  const number = (name: string) => Number(plain.get(name));
  const authenticatedAt = plain.get("authenticatedAt");
  return {
    id,
    secretHash: plain.get("secretHash") ?? "",
    userId: plain.get("userId") ?? null,
    createdAt: number("createdAt"),
    lastSeenAt: number("lastSeenAt"),
    expiresAt: number("expiresAt"),
    absoluteExpiresAt: number("absoluteExpiresAt"),
    authenticatedAt: authenticatedAt === undefined ? null : Number(authenticatedAt),
    persistent: plain.get("persistent") === "1",
    version: number("version"),
    data: parseStored(`{${data.join(",")}}`),
    state: parseStored(`{${state.join(",")}}`),
    updatedAt: number("updatedAt"),
    meta: parseStored(plain.get("meta") ?? "null") ?? { userAgent: null, ip: null, fingerprint: null },
  };
}

function liveRecords(hashes: readonly string[][], now: number): SessionRecord[] {
  const records: SessionRecord[] = [];
  for (const hash of hashes) {
    const record = decode(pairs(hash));
    if (record && record.expiresAt > now) records.push(record);
  }
  return records;
}

/**
 * The store's own ioredis client. When Redis is down, commands fail at once (503) instead of
 * queueing, and an unanswered command fails within `timeoutMs`; the client keeps reconnecting
 * in the background, so the same cookies work again once Redis is back. Commands sent before
 * the first connection wait for it (bounded by `timeoutMs`) rather than failing.
 */
function ownClient(url: string, timeoutMs: number) {
  const client = new Redis(url, {
    connectTimeout: timeoutMs,
    // A command sent on a live connection that gets no answer fails after this many ms.
    commandTimeout: timeoutMs,
    // While disconnected, commands fail at once (503) instead of queueing behind reconnects:
    // requests do not pile up during an outage.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // Reconnect forever, at most a second apart, so service resumes soon after Redis does.
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 1_000),
  });
  // Connection errors surface through the failed commands; without a listener ioredis
  // would print each reconnection failure as an unhandled error event.
  client.on("error", () => {});
  return {
    client,
    connected: firstConnection(client, timeoutMs),
    async close() {
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}

/**
 * Without an offline queue, a command sent before the first connection would fail: until the
 * client is ready (or `timeoutMs` has passed, Redis being down at start), calls wait. Returns
 * the wait, or null once it is over (the hot path then costs one comparison).
 */
function firstConnection(client: Redis, timeoutMs: number): () => Promise<void> | null {
  if (client.status === "ready") return () => null;
  let waiting: Promise<void> | null = new Promise<void>((resolve) => {
    const done = () => {
      waiting = null;
      clearTimeout(timer);
      client.off("ready", done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    timer.unref();
    client.once("ready", done);
  });
  return () => waiting;
}
