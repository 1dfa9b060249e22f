import { randomBytes } from "node:crypto";
import { Cluster } from "ioredis";
import { StoreConflictError, StoreUnavailableError } from "../core/errors.js";
import { type RedisClusterPubSubClient, redisClusterPubSub } from "../transports/redis-cluster.js";
import { type CacheOptions, patchedRecord, SessionCache, writeThrough } from "./cache.js";
import { probeHealth } from "./health.js";
import { redisAttempts } from "./redis-attempts.js";
import { BUCKETS, bucketOfId, bucketOfUser, bucketTag, idInBucket, slotOfTag } from "./redis-buckets.js";
import { createArgs, decode, liveRecords, patchArgs, patchResult } from "./redis-codec.js";
import {
  closeClient,
  failClosed,
  firstConnection,
  isNoScript,
  runScript,
  type ScriptClient,
} from "./redis-connection.js";
import { layoutScripts, type RedisScript } from "./redis-scripts.js";
import { globLiteral, type RedisScanClient, redisUserState, redisUserStateEntries } from "./redis-user-state.js";
import type { CompleteStore, CreateResult, SessionRecord } from "./store.js";

const scripts = layoutScripts("sharded");

/** An ioredis cluster pipeline, typed structurally: the few commands the store queues. */
export interface RedisClusterPipeline {
  evalsha(sha1: string, numkeys: number, ...args: (string | number)[]): RedisClusterPipeline;
  eval(script: string, numkeys: number, ...args: (string | number)[]): RedisClusterPipeline;
  call(command: string, ...args: (string | number)[]): RedisClusterPipeline;
  exec(): Promise<Array<[Error | null, unknown]> | null>;
}

/** The commands the store sends, typed structurally: an ioredis `Cluster` fits. */
export interface RedisClusterStoreClient extends ScriptClient, RedisClusterPubSubClient {
  hgetall(key: string): Promise<Record<string, string>>;
  get(key: string): Promise<string | null>;
  zcount(key: string, min: string | number, max: string | number): Promise<number>;
  ping(): Promise<string>;
  /** CLUSTER NODES, when a change waited for a replica in vain (keyless: any node answers). */
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
  pipeline(): RedisClusterPipeline;
  /** Asks the cluster who owns which slots now (ioredis' `Cluster`). */
  refreshSlotsCache?(callback?: (error?: Error | null) => void): void;
}

/** A cluster's answer that the key's slot lives elsewhere now: nothing was done. */
const isRedirected = (error: unknown) => /^(MOVED|ASK) /.test(String((error as Error | undefined)?.message));

/** A seed node: "host:port" or `{ host, port }`. */
export type ClusterSeed = string | { host: string; port: number };

export interface RedisClusterStoreOptions {
  /** Seed nodes (the store opens and closes its own ioredis `Cluster`), or your `Cluster`: it stays yours to close. */
  cluster: readonly ClusterSeed[] | RedisClusterStoreClient;
  /** For the store's own client: the nodes' AUTH. */
  username?: string;
  password?: string;
  /** For the store's own client: bound on connecting and on each command, in ms. Default 1,000. */
  timeoutMs?: number;
  /** Start of every key, default "stint:"; keys are `<prefix>{<bucket tag>}…`. No braces. */
  prefix?: string;
  /** The exact per-process cache of session records (on by default); `false` sends every read to Redis. */
  cache?: CacheOptions | false;
  /**
   * Keys the hash that places each user's sessions in a bucket. With a secret here, a session
   * id tells nothing of its user. Never change it for a running cluster (users would move to
   * other buckets and their existing sessions would drop out of their device list and "sign
   * out everywhere"); it is not the cookie secret, which rotates. Default: a fixed key, so a
   * session id tells which of 1,024 groups its user's id hashes into.
   */
  shardKey?: string;
  /**
   * Sessions created and ended (sign-in, rotation, logout, revocation) wait this long, at
   * most, for the shard's replica to acknowledge the change (`WAIT 1`), so that a failover
   * cannot undo what the user was told. A shard whose replicas are connected but silent past
   * it answers 503; a shard with no replica at all (after a failover, until the old master
   * rejoins) pays the full wait and goes on. `false`: never wait. Default 250.
   */
  replicaWaitMs?: number | false;
}

const DEFAULT_SHARD_KEY = "stint shard";

/**
 * Sessions on a Redis Cluster, spread over every master: signed-in sessions in their user's
 * bucket (one hash slot, with the user's index), anonymous ones in a random bucket. An id
 * this store mints names its bucket, so a read is one HGETALL on one node, and every change
 * of one session or one user is one script on one slot. See docs/scale-out.md.
 */
export function redisClusterStore(options: RedisClusterStoreOptions): CompleteStore {
  const { prefix = "stint:", shardKey = DEFAULT_SHARD_KEY, replicaWaitMs = 250 } = options;
  if (/[{}]/.test(prefix)) {
    throw new TypeError(`redisStore: prefix must not contain "{" or "}" (it precedes the hash tag), got ${prefix}.`);
  }
  if (replicaWaitMs !== false && !(Number.isInteger(replicaWaitMs) && replicaWaitMs > 0)) {
    throw new TypeError(`redisStore: replicaWaitMs must be a positive integer or false, got ${replicaWaitMs}.`);
  }
  const timeoutMs = options.timeoutMs ?? 1_000;
  if (replicaWaitMs !== false && !isClient(options.cluster) && replicaWaitMs >= timeoutMs) {
    throw new TypeError(`redisStore: replicaWaitMs (${replicaWaitMs}) must stay under timeoutMs (${timeoutMs}).`);
  }
  const own = isClient(options.cluster)
    ? null
    : ownCluster(options.cluster, { timeoutMs, username: options.username, password: options.password });
  const client: RedisClusterStoreClient = own?.client ?? (options.cluster as RedisClusterStoreClient);
  const connecting = own?.connected ?? (() => null);

  const bases = Array.from({ length: BUCKETS }, (_, bucket) => `${prefix}{${bucketTag(bucket)}}`);
  const key = {
    base: (bucket: number) => bases[bucket] as string,
    session: (bucket: number, id: string) => `${bases[bucket]}s:${id}`,
    pointer: (bucket: number, id: string) => `${bases[bucket]}p:${id}`,
    user: (bucket: number, userId: string) => `${bases[bucket]}u:${userId}`,
    expiry: (bucket: number) => `${bases[bucket]}expiry`,
    ids: (bucket: number) => `${bases[bucket]}ids`,
  };
  const everyBucket = Array.from({ length: BUCKETS }, (_, bucket) => bucket);
  const pubsub = redisClusterPubSub(client, {
    timeoutMs,
    relay: (about, channel, message) => {
      const bucket = bucketOfId(about);
      return runScript(client, scripts.relay, [key.ids(bucket)], [channel, message]);
    },
  });
  const nonce = randomBytes(9).toString("base64url");
  const cache = options.cache === false ? null : new SessionCache(pubsub, `${prefix}inval`, nonce, options.cache);

  const guard = failClosed(connecting, "Redis Cluster store");
  /** One script on the bucket of `declared` (its only key). */
  const run = (script: RedisScript, bucket: number, declared: string, args: (string | number)[]) =>
    runScript(client, script, [declared], [key.base(bucket), nonce, ...args]);

  /**
   * A script whose change the user is told about, in one pipeline with `WAIT 1` (the same
   * connection, so WAIT counts this write): the answer comes once a replica has it. A
   * NOSCRIPT answer sends the whole pipeline again with EVAL, keeping WAIT after the write.
   * When no replica acknowledged in time, the cluster's view decides: a replica that could be
   * promoted (frozen, slow, briefly disconnected) would promote a past without this change,
   * so the answer is 503; with none (after a failover, before the old master rejoins) no
   * failover can undo it, and the change stands.
   */
  const durable = async (script: RedisScript, bucket: number, declared: string, args: (string | number)[]) => {
    if (replicaWaitMs === false) return run(script, bucket, declared, args);
    const all = [declared, key.base(bucket), nonce, ...args];
    const send = (full: boolean) => {
      const pipeline = client.pipeline();
      if (full) pipeline.eval(script.source, 1, ...all);
      else pipeline.evalsha(script.sha, 1, ...all);
      return pipeline.call("WAIT", 1, replicaWaitMs).exec();
    };
    let results = await send(false);
    // A pipeline sent by a map from before a failover is refused whole (MOVED: nothing was
    // written): learn the new owners and send it once more.
    if (isRedirected(results?.[0]?.[0])) {
      await new Promise<void>((resolve) =>
        client.refreshSlotsCache ? client.refreshSlotsCache(() => resolve()) : resolve(),
      );
      results = await send(false);
    }
    if (isNoScript(results?.[0]?.[0])) results = await send(true);
    const [written, waited] = results ?? [];
    const failure = written?.[0] ?? waited?.[0] ?? (written ? null : new Error("empty pipeline reply"));
    if (failure) throw failure;
    if (Number(waited?.[1]) < 1) {
      const view = String(await client.call("CLUSTER", "NODES"));
      if (promotableReplicas(view, slotOfTag(bucketTag(bucket))) > 0) {
        throw new StoreUnavailableError(`No replica acknowledged the change within ${replicaWaitMs} ms.`);
      }
    }
    return written?.[1];
  };

  const readAt = async (bucket: number, id: string, now: number): Promise<SessionRecord | null> => {
    const record = decode(Object.entries(await client.hgetall(key.session(bucket, id))));
    return record && record.expiresAt > now ? record : null;
  };
  /** One HGETALL; a miss asks for a pointer (an id this store did not mint, of a signed-in session). */
  const read = (id: string, now: number): Promise<SessionRecord | null> =>
    guard(async () => {
      const bucket = bucketOfId(id);
      const record = await readAt(bucket, id, now);
      if (record) return record;
      const home = await client.get(key.pointer(bucket, id));
      return home === null ? null : readAt(Number(home), id, now);
    });

  /**
   * Deletes a session wherever it lives; true when it existed. Whatever the answer, the record
   * is dropped from this process's cache: a failed answer (503) may follow a done delete, and
   * the script's announcement is not for the process that sent it.
   */
  const remove = async (id: string): Promise<boolean> => {
    const bucket = bucketOfId(id);
    try {
      const reply = await guard(() => durable(scripts.delete, bucket, key.session(bucket, id), [id]));
      if (!Array.isArray(reply)) return reply === 1;
      const home = Number(reply[1]);
      const existed = (await guard(() => durable(scripts.delete, home, key.session(home, id), [id]))) === 1;
      // The pointer leads nowhere now; left behind, it would only cost a lookup until it expires.
      await guard(() => run(scripts.forget, bucket, key.session(bucket, id), [id])).catch(() => undefined);
      return existed;
    } finally {
      cache?.invalidate([id]);
    }
  };

  /** Expired sessions per bucket at the last count: cleanup calls spend it before counting again. */
  let expiredLeft: number[] | null = null;

  /** A scan script's entry as a live record, or null: a hash, or {"moved", bucket, id} to read there. */
  const entryRecord = (entry: string[], now: number): Promise<SessionRecord | null> | SessionRecord | null => {
    if (isMoved(entry)) return guard(() => readAt(Number(entry[1]), entry[2] as string, now));
    return liveRecords([entry], now)[0] ?? null;
  };

  /**
   * A page of live records in id order after `after`: the buckets in order (a wave of 1, 2, 4 …
   * 128 buckets at a time, until the page is full), each bucket's ids in order.
   */
  const scanFrom = async (after: string | undefined, limit: number, now: number): Promise<SessionRecord[]> => {
    const page: SessionRecord[] = [];
    let bucket = after === undefined ? 0 : bucketOfId(after);
    let cursor = after;
    let width = 1;
    while (page.length < limit && bucket < BUCKETS) {
      const need = limit - page.length;
      const batch = everyBucket.slice(bucket, bucket + width);
      const replies = await Promise.all(
        batch.map((current, index) => {
          const start = index === 0 && cursor !== undefined ? `(${cursor}` : "-";
          return guard(() => run(scripts.scan, current, key.ids(current), [start, need, now])) as Promise<string[][]>;
        }),
      );
      let next = bucket + batch.length;
      let nextCursor: string | undefined;
      for (const [index, reply] of replies.entries()) {
        for (const record of await Promise.all(reply.map((entry) => entryRecord(entry, now)))) {
          if (record && page.length < limit) page.push(record);
        }
        if (page.length >= limit) break;
        // A full answer whose entries did not all turn out live: this bucket may hold more.
        if (reply.length >= need) {
          next = batch[index] as number;
          nextCursor = entryId(reply.at(-1) as string[]);
          break;
        }
      }
      bucket = next;
      cursor = nextCursor;
      width = nextCursor === undefined ? Math.min(width * 2, 128) : 1;
    }
    return page;
  };

  /** The user whose state `key` is (`<prefix>{<bucket tag>}us:<user>`), or null. */
  const knownBases = new Set(bases);
  const userOfKey = (key: string): string | null => {
    const base = key.slice(0, key.indexOf("}", prefix.length) + 1);
    return knownBases.has(base) && key.startsWith("us:", base.length) ? key.slice(base.length + 3) : null;
  };

  /** A user's state lives in the user's bucket, beside their sessions (`<base>us:<user>`). */
  const userStates = new Map<number, ReturnType<typeof redisUserState>>();
  const userStateOf = (userId: string) => {
    const bucket = bucketOfUser(shardKey, userId);
    let states = userStates.get(bucket);
    if (!states) userStates.set(bucket, (states = redisUserState(client, key.base(bucket), guard)));
    return states;
  };

  const store: CompleteStore = {
    kind: "redis-cluster",

    newId(userId, replacing) {
      const random = randomBytes(16).toString("base64url");
      if (userId !== null) return idInBucket(random, bucketOfUser(shardKey, userId));
      // An anonymous rotation stays in its bucket, so it stays one atomic script.
      return replacing === undefined ? random : idInBucket(random, bucketOfId(replacing));
    },

    async create(record, options) {
      const { id } = record;
      const named = bucketOfId(id);
      const home = record.userId === null ? named : bucketOfUser(shardKey, record.userId);
      // An id not minted here for this user: a pointer in the bucket the id names leads to it.
      const pointed = home !== named;
      if (pointed) {
        const expiry = Math.max(1, Math.ceil(record.expiresAt));
        const claimed = await guard(() => run(scripts.claim, named, key.session(named, id), [id, home, expiry]));
        if (claimed !== 1) throw new StoreConflictError();
      }
      const flags = pointed ? "p" : "";
      const insert = async (replace: typeof options.replace) => {
        let reply: unknown;
        try {
          reply = await guard(() =>
            durable(scripts.create, home, key.session(home, id), createArgs(record, { ...options, replace }, flags)),
          );
        } finally {
          // Dropped whatever the answer: a failed one may follow a done replacement.
          if (replace) cache?.invalidate([replace.id]);
        }
        if (reply === null) throw new StoreConflictError();
        const [created, replaced, evicted, away] = reply as [number, number, string[], number];
        cache?.invalidate(evicted);
        return { created: created === 1, replaced: replaced === 1, evicted, away: away === 1 };
      };
      const { replace } = options;
      const first = await insert(replace);
      if (!replace || !first.away) return { created: first.created, replaced: first.replaced, evicted: first.evicted };
      // The replaced session lives in another bucket (a sign-in from an anonymous session):
      // a second round trip deletes it. A required one (a rotation) must still exist, so the
      // new session is created first and taken back if the old one was gone.
      const inserted = first.created ? first : await insert(undefined);
      let replaced: boolean;
      try {
        replaced = await remove(replace.id);
      } catch (error) {
        await remove(id).catch(() => undefined);
        throw error;
      }
      if (replace.required && !replaced) {
        await remove(id);
        return { created: false, replaced: false, evicted: inserted.evicted } satisfies CreateResult;
      }
      return { created: true, replaced, evicted: inserted.evicted };
    },

    async get(id, now) {
      return cache ? cache.read(id, now, () => read(id, now)) : read(id, now);
    },

    peek: (id, now) => cache?.peek(id, now),

    async patch(id, patch) {
      const args = patchArgs(id, patch);
      const named = bucketOfId(id);
      const apply = async () => {
        let reply = (await guard(() => run(scripts.patch, named, key.session(named, id), args))) as [string, string?];
        if (reply[0] === "moved") {
          const home = Number(reply[1]);
          reply = (await guard(() => run(scripts.patch, home, key.session(home, id), args))) as [string, string?];
        }
        return patchResult(reply as [string, string[]?]);
      };
      // The answer holds the record as it now stands: the cache keeps it, or drops the session
      // whatever else happens (even a failure may have been applied).
      return cache ? cache.write(id, apply, patchedRecord) : apply();
    },

    delete: remove,

    async listByUser(userId, now) {
      const bucket = bucketOfUser(shardKey, userId);
      const hashes = await guard(() => run(scripts.listByUser, bucket, key.user(bucket, userId), []));
      return liveRecords(hashes as string[][], now);
    },

    async deleteByUser(userId, options = {}) {
      const bucket = bucketOfUser(shardKey, userId);
      const args = [userId, options.except ?? ""];
      const deleted = (await guard(() =>
        durable(scripts.deleteByUser, bucket, key.user(bucket, userId), args),
      )) as string[];
      cache?.invalidate(deleted);
      return deleted;
    },

    async deleteExpired(now, limit) {
      if (!(limit > 0)) return 0;
      if (!expiredLeft?.some((count) => count > 0)) {
        const counts = everyBucket.map((bucket) => client.zcount(key.expiry(bucket), "-inf", now));
        expiredLeft = await guard(() => Promise.all(counts));
      }
      const left = expiredLeft;
      let budget = Math.floor(limit);
      const rounds: Promise<number>[] = [];
      for (const bucket of everyBucket) {
        const take = Math.min(budget, left[bucket] ?? 0);
        if (take <= 0) continue;
        budget -= take;
        rounds.push(
          guard(() => run(scripts.deleteExpired, bucket, key.expiry(bucket), [now, take])).then((deleted) => {
            // Fewer than counted: another process cleaned them, or they were extended.
            left[bucket] = (deleted as number) < take ? 0 : (left[bucket] ?? 0) - take;
            return deleted as number;
          }),
        );
        if (budget === 0) break;
      }
      return (await Promise.all(rounds)).reduce((sum, deleted) => sum + deleted, 0);
    },

    async count(now) {
      const counts = await guard(() =>
        Promise.all(everyBucket.map((bucket) => client.zcount(key.expiry(bucket), `(${now}`, "+inf"))),
      );
      return counts.reduce((sum, count) => sum + count, 0);
    },

    async scan({ after, limit, now }) {
      if (!(limit > 0)) return [];
      return scanFrom(after, Math.floor(limit), now);
    },

    health: () => probeHealth(() => guard(() => client.ping())),

    pubsub,
    ...(cache && { cache }),

    userState: {
      get: (userId) => userStateOf(userId).get(userId),
      patch: (userId, patch) => userStateOf(userId).patch(userId, patch),
      delete: (userId) => userStateOf(userId).delete(userId),
      insert: (userId, record) => userStateOf(userId).insert(userId, record),
      // Each master holds the states of its buckets: SCAN every one of them.
      entries: () => {
        const masters = client.nodes("master").filter((node): node is typeof node & RedisScanClient => "scan" in node);
        return redisUserStateEntries(masters, `${globLiteral(prefix)}{*}us:*`, userOfKey, client, guard);
      },
    },
    // Each key on its own slot: a limit's counts are one small hash, spread like the sessions.
    attempts: redisAttempts(client, prefix, guard),

    async close() {
      cache?.close();
      await pubsub.close();
      // A client given by the caller stays theirs to close.
      await own?.close();
    },
  };
  return writeThrough(cache, store);
}

/** A scan entry that points to the bucket holding the record: `{"moved", bucket, id}`. */
function isMoved(entry: readonly string[]): boolean {
  return entry.length === 3 && entry[0] === "moved";
}

/** The id of a scan entry (a hash's field/value pairs, or a pointer). */
function entryId(entry: readonly string[]): string {
  if (isMoved(entry)) return entry[2] as string;
  for (let i = 0; i + 1 < entry.length; i += 2) if (entry[i] === "id") return entry[i + 1] as string;
  return "";
}

function isClient(cluster: RedisClusterStoreOptions["cluster"]): cluster is RedisClusterStoreClient {
  return !Array.isArray(cluster);
}

/**
 * Replicas that a failover could promote for `slot`, in a CLUSTER NODES answer (`id
 * address flags master-id ping pong epoch link slot…` a line): those of the slot's master
 * not flagged failed. A replica merely suspected ("fail?") counts: it may be alive.
 */
export function promotableReplicas(view: string, slot: number): number {
  const nodes = view
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [id, , flags = "", master = "-", , , , , ...slots] = line.trim().split(" ");
      return { id, flags: flags.split(","), master, slots };
    });
  const serves = (ranges: string[]) =>
    ranges.some((range) => {
      if (range.startsWith("[")) return false;
      const [from, to = from] = range.split("-").map(Number) as [number, number?];
      return slot >= from && slot <= to;
    });
  const owner = nodes.find((node) => node.flags.includes("master") && serves(node.slots));
  if (!owner) return 0;
  return nodes.filter(
    (node) => node.master === owner.id && !node.flags.includes("fail") && !node.flags.includes("noaddr"),
  ).length;
}

/**
 * The store's own ioredis Cluster, bounded everywhere (docs/notes/redis-cluster-research.md):
 * a command gets its answer or an error within about `timeoutMs` plus a few redirections,
 * through a crash, a hung node or CLUSTERDOWN; while the cluster is unreachable, commands
 * fail at once instead of queueing. The client keeps reconnecting in the background.
 */
function ownCluster(
  seeds: readonly ClusterSeed[],
  options: { timeoutMs: number; username?: string; password?: string },
) {
  const { timeoutMs, username, password } = options;
  if (seeds.length === 0) throw new TypeError("redisStore: a cluster needs at least one seed node.");
  const client = new Cluster(seeds.map(seedOf), {
    redisOptions: {
      connectTimeout: timeoutMs,
      commandTimeout: timeoutMs,
      maxRetriesPerRequest: 0,
      ...(username !== undefined && { username }),
      ...(password !== undefined && { password }),
    },
    maxRedirections: 6,
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    retryDelayOnTryAgain: 200,
    slotsRefreshTimeout: timeoutMs,
    enableOfflineQueue: false,
    clusterRetryStrategy: (attempt) => Math.min(100 * attempt, 1_000),
  });
  // Failures surface through the failed commands; without a listener ioredis prints each.
  client.on("error", () => {});
  return { client, connected: firstConnection(client, timeoutMs), close: () => closeClient(client) };
}

function seedOf(seed: ClusterSeed): { host: string; port: number } {
  if (typeof seed !== "string") return seed;
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(seed.trim());
  if (!match) throw new TypeError(`redisStore: a seed node is "host:port", got ${JSON.stringify(seed)}.`);
  return { host: match[1] as string, port: Number(match[2]) };
}

/**
 * `redis+cluster://[user[:password]@]host:port[,host:port…][/]`: the seeds and the AUTH of
 * every node. Anything else (a database number, options) is refused: a cluster has one
 * database.
 */
export function parseClusterUrl(url: string): { seeds: ClusterSeed[]; username?: string; password?: string } {
  const match = /^redis\+cluster:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#@]+)\/?$/i.exec(url);
  if (!match) {
    throw new TypeError(
      "A Redis Cluster URL is redis+cluster://[user:password@]host:port[,host:port…] (no database, no options).",
    );
  }
  const [, user, secret, hosts] = match;
  const decoded = (part: string | undefined) => (part ? decodeURIComponent(part) : undefined);
  return {
    seeds: (hosts as string).split(",").map((seed) => seedOf(seed)),
    username: decoded(user),
    password: decoded(secret),
  };
}
