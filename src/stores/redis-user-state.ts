import { createHash } from "node:crypto";
import { STATE_BYTES } from "./redis-scripts.js";
import type { JsonObject, UserStateEntry, UserStateRecord, UserStateStore } from "./store.js";

/** What user states need of the store's client (an ioredis `Redis` or `Cluster` fits). */
export interface RedisUserStateClient {
  hgetall(key: string): Promise<Record<string, string>>;
  evalsha(sha1: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(script: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>;
}

/**
 * KEYS: the user's state hash. ARGV: now, ifVersion or "", maxStateBytes or "", the number of
 * fields to delete, those fields, then field/value pairs to set. Returns {"ok", fields…} or
 * {reason}. Fields are laid out as a session's state is (`t:<json key>` → JSON value), so the
 * size of the state as JSON follows from lengths alone.
 */
const PATCH = `${STATE_BYTES}
local key, now, ifVersion, maxBytes = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local first = 5
local setFrom = first + tonumber(ARGV[4])
local version = tonumber(redis.call('HGET', key, 'version') or '0')
if ifVersion ~= '' and tonumber(ifVersion) ~= version then return {'conflict'} end
if maxBytes ~= '' and stateBytes(key, first, setFrom) > tonumber(maxBytes) then return {'too_large'} end
for i = first, setFrom - 1 do redis.call('HDEL', key, ARGV[i]) end
for i = setFrom, #ARGV, 2 do redis.call('HSET', key, ARGV[i], ARGV[i + 1]) end
redis.call('HSET', key, 'version', version + 1, 'updatedAt', now)
return {'ok', redis.call('HGETALL', key)}
`;
const PATCH_SHA = createHash("sha1").update(PATCH).digest("hex");
const DELETE = "return redis.call('DEL', KEYS[1])";
/** KEYS: the user's state hash. ARGV: version, updatedAt, then field/value pairs. 1 if written. */
const INSERT = `if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'updatedAt', ARGV[2])
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1`;

/** What listing user states needs of one Redis server: SCAN (an ioredis `Redis` fits). */
export interface RedisScanClient {
  scan(cursor: string, match: "MATCH", pattern: string, count: "COUNT", hint: number): Promise<[string, string[]]>;
}

/**
 * User states in Redis, one hash per user (`<base>us:<user>`) beside the sessions, with no
 * TTL: a user's state outlives every session. A patch is one Lua script, atomic on a single
 * server and on Cluster (the key carries the store's hash tag). `guard` is the store's own
 * (first-connection wait, failures as 503).
 */
export function redisUserState(
  client: RedisUserStateClient,
  base: string,
  guard: <T>(call: () => Promise<T>) => Promise<T>,
): Required<Omit<UserStateStore, "entries">> {
  const keyOf = (userId: string) => `${base}us:${userId}`;
  return {
    async get(userId) {
      return decode(await guard(() => client.hgetall(keyOf(userId))));
    },
    async patch(userId, patch) {
      const unset = (patch.unset ?? []).map(field);
      const set: string[] = [];
      for (const [name, value] of Object.entries(patch.set ?? {})) set.push(field(name), JSON.stringify(value));
      const args = [patch.now, patch.ifVersion ?? "", patch.maxStateBytes ?? "", unset.length, ...unset, ...set];
      const reply = (await guard(async () => {
        try {
          return await client.evalsha(PATCH_SHA, 1, keyOf(userId), ...args);
        } catch (error) {
          // A restarted or flushed server has an empty script cache.
          if (!String((error as Error | undefined)?.message).startsWith("NOSCRIPT")) throw error;
          return await client.eval(PATCH, 1, keyOf(userId), ...args);
        }
      })) as [string, string[]?];
      const [status, fields] = reply;
      if (status !== "ok" || !fields) return { ok: false, reason: status as "conflict" | "too_large" };
      const flat: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) flat[fields[i] as string] = fields[i + 1] as string;
      return { ok: true, record: decode(flat) as UserStateRecord };
    },
    async delete(userId) {
      return (await guard(() => client.eval(DELETE, 1, keyOf(userId)))) === 1;
    },
    async insert(userId, { state, version, updatedAt }) {
      const fields = Object.entries(state).flatMap(([name, value]) => [field(name), JSON.stringify(value)]);
      return (await guard(() => client.eval(INSERT, 1, keyOf(userId), version, updatedAt, ...fields))) === 1;
    },
  };
}

/**
 * Every user state on `servers` (the one server, or each master of a cluster), found with
 * SCAN over `pattern`: a state's key names its user, so no index has to be kept. `userOf`
 * reads the user from a key, or null for a key that only looks like one. Remembers the keys
 * it has listed (a migration's worth of memory).
 */
export async function* redisUserStateEntries(
  servers: readonly RedisScanClient[],
  pattern: string,
  userOf: (key: string) => string | null,
  client: Pick<RedisUserStateClient, "hgetall">,
  guard: <T>(call: () => Promise<T>) => Promise<T>,
): AsyncGenerator<UserStateEntry> {
  for (const server of servers) {
    // SCAN may return a key twice (while Redis resizes its table): each is listed once.
    const seen = new Set<string>();
    let cursor = "0";
    do {
      const [next, keys] = await guard(() => server.scan(cursor, "MATCH", pattern, "COUNT", 500));
      cursor = next;
      const fresh = keys.filter((key) => !seen.has(key) && seen.add(key));
      const users = fresh.map((key) => [key, userOf(key)] as const).filter(([, userId]) => userId !== null);
      const hashes = await guard(() => Promise.all(users.map(([key]) => client.hgetall(key))));
      for (const [i, [, userId]] of users.entries()) {
        // A state deleted between SCAN and HGETALL reads as an empty hash: gone, skipped.
        const record = decode(hashes[i] as Record<string, string>);
        if (record) yield { userId: userId as string, record };
      }
    } while (cursor !== "0");
  }
}

/** A glob pattern (SCAN's MATCH) that matches `text` literally. */
export function globLiteral(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}

/** The hash field of a state key: its JSON text after "t:". */
function field(name: string): string {
  return `t:${JSON.stringify(name)}`;
}

/**
 * The record of a hash, or null for a missing one. The state is rebuilt as JSON text and
 * parsed once: JSON.parse keeps `__proto__` an own key.
 */
function decode(fields: Record<string, string>): UserStateRecord | null {
  if (fields.version === undefined) return null;
  const members: string[] = [];
  for (const [name, value] of Object.entries(fields))
    if (name.startsWith("t:")) members.push(`${name.slice(2)}:${value}`);
  return {
    state: JSON.parse(`{${members.join(",")}}`) as JsonObject,
    version: Number(fields.version),
    updatedAt: Number(fields.updatedAt),
  };
}
