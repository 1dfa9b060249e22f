import { createHash } from "node:crypto";
import { runScript, type ScriptClient } from "./redis-connection.js";
import type { RedisScript } from "./redis-scripts.js";
import type { AttemptCounts, AttemptWindow } from "./store.js";

/** What each call asks of the script (ARGV[4]). */
const STEP = { get: 0, take: 1, fail: 2, free: 3, add: 4 } as const;

/**
 * KEYS: the key's hash. ARGV: now, limit, windowMs, the step (see STEP). Returns {changed
 * 1/0, count, pending, startedAt}; a window past its length counts as none (all zero). Redis
 * drops the hash when its window ends (PEXPIREAT), so a key costs memory only while limited.
 */
const SOURCE = `
local key, now, limit, windowMs, step = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local fields = redis.call('HMGET', key, 'startedAt', 'count', 'pending')
local startedAt, count, pending = tonumber(fields[1]), tonumber(fields[2]) or 0, tonumber(fields[3]) or 0
if startedAt == nil or now - startedAt >= windowMs then
  if step ~= 1 and step ~= 4 then return {0, 0, 0, now} end
  startedAt, count, pending = now, 0, 0
end
if step == 0 then return {0, count, pending, startedAt} end
if step == 1 then
  if count + pending >= limit then return {0, count, pending, startedAt} end
  pending = pending + 1
elseif step == 4 then
  count = count + 1
else
  if pending > 0 then pending = pending - 1 end
  if step == 2 then count = count + 1 end
end
redis.call('HSET', key, 'startedAt', startedAt, 'count', count, 'pending', pending)
redis.call('PEXPIREAT', key, startedAt + windowMs)
return {1, count, pending, startedAt}
`;
const CHANGE = script(SOURCE);
const RESET = script("return redis.call('DEL', KEYS[1])");

function script(source: string): RedisScript {
  return { source, sha: createHash("sha1").update(source).digest("hex") };
}

/**
 * Attempt counts in Redis, one small hash per key (`<base>a:<key>`), changed by one Lua
 * script, so concurrent takes from any number of processes never pass the limit together.
 * On a Redis Cluster each key lives on its own slot (the base carries no hash tag there);
 * every script touches that one key. `guard` is the store's own (failures become 503).
 */
export function redisAttempts(
  client: ScriptClient,
  base: string,
  guard: <T>(call: () => Promise<T>) => Promise<T>,
): AttemptCounts {
  const keyOf = (key: string) => `${base}a:${key}`;
  const run = async (key: string, limit: number, windowMs: number, now: number, step: number) => {
    const args = [now, limit, Math.ceil(windowMs), step];
    const reply = (await guard(() => runScript(client, CHANGE, [keyOf(key)], args))) as number[];
    const [changed, count, pending, startedAt] = reply.map(Number) as [number, number, number, number];
    return { changed: changed === 1, window: { count, pending, startedAt } };
  };
  return {
    async get(key, windowMs, now): Promise<AttemptWindow | null> {
      const { window } = await run(key, 0, windowMs, now, STEP.get);
      return window.count + window.pending > 0 ? window : null;
    },
    async take(key, limit, windowMs, now) {
      const { changed, window } = await run(key, limit, windowMs, now, STEP.take);
      return { ...window, taken: changed };
    },
    async settle(key, outcome, windowMs, now) {
      await run(key, 0, windowMs, now, STEP[outcome]);
    },
    async add(key, windowMs, now) {
      await run(key, 0, windowMs, now, STEP.add);
    },
    async reset(key) {
      await guard(() => runScript(client, RESET, [keyOf(key)], []));
    },
  };
}
