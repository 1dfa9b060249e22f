import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { StoreConflictError } from "../core/errors.js";
import { type RedisPubSubClient, redisPubSub } from "../transports/redis.js";
import { type CacheOptions, patchedRecord, SessionCache, writeThrough } from "./cache.js";
import { probeHealth } from "./health.js";
import { redisAttempts } from "./redis-attempts.js";
import { parseClusterUrl, type RedisClusterStoreOptions, redisClusterStore } from "./redis-cluster.js";
import { createArgs, decode, liveRecords, patchArgs, patchResult } from "./redis-codec.js";
import { closeClient, failClosed, firstConnection, runScript } from "./redis-connection.js";
import { layoutScripts, type RedisScript } from "./redis-scripts.js";
import { globLiteral, type RedisScanClient, redisUserState, redisUserStateEntries } from "./redis-user-state.js";
import type { CompleteStore, SessionRecord } from "./store.js";

const scripts = layoutScripts("single");

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
  /** Lists user states for `stint migrate`; a client without it gives a store that cannot. */
  scan?: RedisScanClient["scan"];
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
  /**
   * `redis://[user:password@]host:port/db` or `rediss://…`: the store opens and closes its own
   * client. `redis+cluster://[user:password@]host:port[,host:port…]` names the seed nodes of
   * a Redis Cluster: the store is then the sharded one of the `cluster` option.
   */
  url: string;
  /** Bound on connecting and on every command, in ms. Default 2,000. */
  timeoutMs?: number;
}

export interface RedisClientOptions extends CommonOptions {
  /**
   * Your ioredis client; it stays yours to close. Every key shares one hash tag, so an
   * ioredis `Cluster` given here keeps all sessions on one slot: give it as `cluster` to
   * spread them over every master.
   */
  client: RedisStoreClient;
}

export type RedisStoreOptions = RedisUrlOptions | RedisClientOptions | RedisClusterStoreOptions;

/**
 * Sessions in Redis (or Valkey), shared by every worker and machine. A read is one HGETALL;
 * every change is one Lua script; Redis drops expired sessions itself (PEXPIREAT). Stint's
 * events travel between the processes sharing the store over Redis pub/sub.
 *
 * With `cluster` (seed nodes or an ioredis `Cluster`) or a `redis+cluster://` URL, sessions
 * are spread over every master of a Redis Cluster, each user's sessions on one slot with
 * their index, so every operation stays one atomic script (docs/scale-out.md). Otherwise all
 * keys of a store carry one hash tag: on a single server that costs nothing.
 * Pick `maxmemory-policy noeviction` or a `volatile-*` policy: only session hashes carry a
 * TTL, and an index entry whose hash Redis evicted is skipped and cleaned up later.
 *
 * @example
 * import { redisStore } from "stint/redis";
 * const stint = createStint({ store: redisStore({ url: process.env.REDIS_URL! }), secret });
 * // On a Redis Cluster:
 * const spread = redisStore({ cluster: ["10.0.0.1:7000", "10.0.0.2:7000"], shardKey: process.env.SHARD_KEY });
 */
export function redisStore(options: RedisStoreOptions): CompleteStore {
  if ("cluster" in options) return redisClusterStore(options);
  if ("url" in options && /^redis\+cluster:/i.test(options.url)) {
    const { url, ...rest } = options;
    const { seeds, username, password } = parseClusterUrl(url);
    return redisClusterStore({ ...rest, cluster: seeds, username, password });
  }
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

  const guard = failClosed(connecting, "Redis store");
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

  /** A write through `guard`; when it fails it may still have been applied: see SessionCache.uncertain. */
  const unsure = async <T>(ids: string[] | undefined, call: () => Promise<T>): Promise<T> => {
    try {
      return await guard(call);
    } catch (error) {
      cache?.uncertain(ids);
      throw error;
    }
  };
  const run = (script: RedisScript, keys: string[], args: (string | number)[]) =>
    runScript(client, script, keys, [base, nonce, ...args]);

  return writeThrough(cache, {
    kind: "redis",

    async create(record, options) {
      const touched = options.replace ? [options.replace.id] : undefined;
      const reply = await unsure(touched, () =>
        run(scripts.create, [key.session(record.id)], createArgs(record, options)),
      );
      if (reply === null) throw new StoreConflictError();
      const [created, replaced, evicted] = reply as [number, number, string[]];
      const { replace } = options;
      cache?.invalidate(replace ? [replace.id, ...evicted] : evicted);
      return { created: created === 1, replaced: replaced === 1, evicted };
    },

    async get(id, now) {
      return cache ? cache.read(id, now, () => read(id, now)) : read(id, now);
    },

    peek: (id, now) => cache?.peek(id, now),

    async patch(id, patch) {
      const apply = async () =>
        patchResult(
          (await unsure([id], () => run(scripts.patch, [key.session(id)], patchArgs(id, patch)))) as [
            string,
            string[]?,
          ],
        );
      // The answer holds the record as it now stands: the cache keeps it (or drops the session).
      return cache ? cache.write(id, apply, patchedRecord) : apply();
    },

    async delete(id) {
      const existed = (await unsure([id], () => run(scripts.delete, [key.session(id)], [id]))) === 1;
      cache?.invalidate([id]);
      return existed;
    },

    async listByUser(userId, now) {
      const hashes = (await guard(() => run(scripts.listByUser, [key.user(userId)], []))) as string[][];
      return liveRecords(hashes, now);
    },

    async deleteByUser(userId, options = {}) {
      const args = [userId, options.except ?? ""];
      const deleted = (await unsure(undefined, () => run(scripts.deleteByUser, [key.user(userId)], args))) as string[];
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

    health: () => probeHealth(() => guard(() => client.ping())),

    pubsub,
    ...(cache && { cache }),

    userState: {
      ...redisUserState(client, base, guard),
      ...(client.scan && {
        entries: () => {
          const start = `${base}us:`;
          const userOf = (key: string) => (key.startsWith(start) ? key.slice(start.length) : null);
          return redisUserStateEntries([client as RedisScanClient], `${globLiteral(start)}*`, userOf, client, guard);
        },
      }),
    },
    attempts: redisAttempts(client, base, guard),

    async close() {
      cache?.close();
      await pubsub.close();
      // A client given by the caller stays theirs to close.
      await own?.close();
    },
  });
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
    close: () => closeClient(client),
  };
}
