import { createHash } from "node:crypto";

/**
 * The Lua side of the Redis store. Every operation that touches more than one key is one of
 * these scripts, so nothing is read-modify-written from Node (better-auth's per-user list,
 * express-session #935). Layout, with `B` the store's key base (the prefix in braces):
 *
 *   B s:<id>      hash: the record's fields, `d:<json key>` and `t:<json key>` per data and
 *                 state key (value: the JSON text of the value); PEXPIREAT at expiresAt
 *   B u:<user>    zset: the user's session ids scored by createdAt (ties: by id, as ZRANGE)
 *   B expiry      zset: every session id scored by expiresAt (count, bounded cleanup)
 *   B ids         zset: every session id with score 0, for ZRANGEBYLEX (scan in id order)
 *   B owner       hash: id -> userId, so cleanup can find the user index of a hash Redis
 *                 has already expired
 *
 * Data and state keys are hash fields rather than one JSON document merged with cjson: a
 * patch is then HDEL + HSET of single fields (key-level replace, no deep merge), and the
 * values are never decoded in Lua, so cjson's 14-digit number encoding, its `{}`/`[]`
 * ambiguity and `null` handling cannot touch them. Field names hold the JSON-encoded key, so
 * the size of the state as JSON is computed from lengths alone (maxStateBytes).
 *
 * Two layouts run the same scripts. The single layout (a `redis://` store) has one `B`,
 * `{prefix}`, for every key. The sharded layout (`redis+cluster://`, redis-buckets.ts) has a
 * `B` per bucket, `prefix{tag}`, and each bucket holds the five keys above for its own
 * sessions, plus
 *
 *   B p:<id>      string: the bucket that holds the session of <id>, when it is not the
 *                 bucket named by the id (an id this store did not mint, of a signed-in
 *                 session: it lives with its user's index)
 *
 * Either way all keys a script touches share the declared key's hash slot, so every script
 * is atomic on Redis Cluster exactly as on a single server. Scripts build some key names
 * from `B` (a user index found through `owner`, the hashes of evicted sessions); Cluster
 * allows it because they share the declared keys' slot.
 */

/**
 * Every script gets the key base and this process's cache nonce first. `drop` removes a
 * session and all its index entries (1 when its hash still existed); `announce` tells every
 * process's session cache which sessions changed, from inside the script, so no change can
 * go unannounced (see SessionCache); `elsewhere` is the bucket a pointer names (sharded
 * layout), or false.
 */
function prelude(layout: Layout): string {
  const sharded = layout === "sharded";
  return `
local base, nonce = ARGV[1], ARGV[2]
local spread = ${sharded}
-- One channel for the whole store: the part of the key base before its hash tag.
local channel = ${sharded ? "string.match(base, '^[^{]*') .. 'inval'" : "base .. 'inval'"}
local function announce(ids)
  if #ids > 0 then redis.call('PUBLISH', channel, nonce .. ' ' .. table.concat(ids, ' ')) end
end
local function skey(id) return base .. 's:' .. id end
local function ukey(user) return base .. 'u:' .. user end
local function pkey(id) return base .. 'p:' .. id end
local function elsewhere(id)
  if spread then return redis.call('GET', pkey(id)) end
  return false
end
local function drop(id, user)
  user = user or redis.call('HGET', base .. 'owner', id)
  if user then redis.call('ZREM', ukey(user), id) end
  redis.call('HDEL', base .. 'owner', id)
  redis.call('ZREM', base .. 'ids', id)
  redis.call('ZREM', base .. 'expiry', id)
  return redis.call('DEL', skey(id))
end
`;
}

/**
 * KEYS: session hash. ARGV: base, nonce, then redis-codec.ts' createArgs. Returns nil when
 * the id exists, else {created (0/1), replaced (0/1), evicted ids oldest first, away (0/1)}.
 * Sharded layout: a replaced session that is not in this bucket is "away" (a login from an
 * anonymous session, whose bucket is random): nothing of it is touched here, and when the
 * replacement is required nothing is created; the store deletes it where it lives.
 */
const CREATE = `
local id, now, user, createdAt, expiresAt, max = ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6], ARGV[7], ARGV[9]
local replacing, required, pointed = ARGV[10], string.find(ARGV[11], 'r', 1, true), string.find(ARGV[11], 'p', 1, true)
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local replaced, away = 0, 0
if replacing ~= '' then
  -- Every hash has expiresAt: none means no hash here.
  local expires = redis.call('HGET', skey(replacing), 'expiresAt')
  if spread and not expires then
    if required then return {0, 0, {}, 1} end
    away = 1
  else
    if expires and tonumber(expires) > now then replaced = 1 end
    drop(replacing)
    announce({replacing})
  end
end
if required and replaced == 0 then return {0, 0, {}, 0} end
local evicted = {}
if user ~= '' and max ~= '' then
  local live = {}
  for _, other in ipairs(redis.call('ZRANGE', ukey(user), 0, -1)) do
    local expires = redis.call('HGET', skey(other), 'expiresAt')
    if expires and tonumber(expires) > now then live[#live + 1] = other end
  end
  local keep = math.max(0, tonumber(max) - 1)
  for i = 1, #live - keep do
    drop(live[i], user)
    evicted[#evicted + 1] = live[i]
  end
  announce(evicted)
end
for i = 12, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIREAT', KEYS[1], ARGV[8])
-- A pointed id is listed (scan) in the bucket its id names, beside its pointer.
if not pointed then redis.call('ZADD', base .. 'ids', 0, id) end
redis.call('ZADD', base .. 'expiry', expiresAt, id)
if user ~= '' then
  redis.call('HSET', base .. 'owner', id, user)
  redis.call('ZADD', ukey(user), createdAt, id)
end
return {1, replaced, evicted, away}
`;

/**
 * Lua: the size of a hash's state as JSON.stringify writes it once the fields ARGV[first ..
 * setFrom - 1] are deleted and the field/value pairs from ARGV[setFrom] on are set. State
 * fields are `t:<json key>` → JSON value, so the size follows from lengths alone: "{" + the
 * members joined by "," + "}", each <json key>:<json value>. A session's and a user's state
 * are laid out alike.
 */
export const STATE_BYTES = `
local function stateBytes(key, first, setFrom)
  local sizes = {}
  for _, field in ipairs(redis.call('HKEYS', key)) do
    if string.sub(field, 1, 2) == 't:' then sizes[field] = redis.call('HSTRLEN', key, field) end
  end
  for i = first, setFrom - 1 do sizes[ARGV[i]] = nil end
  for i = setFrom, #ARGV, 2 do
    if string.sub(ARGV[i], 1, 2) == 't:' then sizes[ARGV[i]] = #ARGV[i + 1] end
  end
  local total, members = 2, 0
  for field, length in pairs(sizes) do
    total = total + #field - 2 + 1 + length
    members = members + 1
  end
  if members > 1 then total = total + members - 1 end
  return total
end
`;

/**
 * KEYS: session hash. ARGV: base, nonce, then redis-codec.ts' patchArgs. Returns {"ok",
 * fields…}, {reason}, or {"moved", bucket} when a pointer names the bucket that holds it
 * (its expiry then moves forward with the session's).
 */
const PATCH = `${STATE_BYTES}
local key, id, now = KEYS[1], ARGV[3], tonumber(ARGV[4])
local ifVersion, lastSeen, expiresAt, maxBytes = ARGV[5], ARGV[6], ARGV[7], ARGV[9]
local first = 11
local setFrom = first + tonumber(ARGV[10])
local current = redis.call('HMGET', key, 'expiresAt', 'version', 'lastSeenAt')
if not current[1] then
  local home = elsewhere(id)
  if home then
    if expiresAt ~= '' then redis.call('PEXPIREAT', pkey(id), ARGV[8], 'GT') end
    return {'moved', home}
  end
end
if not current[1] or tonumber(current[1]) <= now then return {'not_found'} end
if ifVersion ~= '' and tonumber(ifVersion) ~= tonumber(current[2]) then return {'conflict'} end
if maxBytes ~= '' and stateBytes(key, first, setFrom) > tonumber(maxBytes) then return {'too_large'} end
for i = first, setFrom - 1 do redis.call('HDEL', key, ARGV[i]) end
for i = setFrom, #ARGV, 2 do redis.call('HSET', key, ARGV[i], ARGV[i + 1]) end
if #ARGV >= first then
  redis.call('HINCRBY', key, 'version', 1)
  redis.call('HSET', key, 'updatedAt', ARGV[4])
end
if lastSeen ~= '' and tonumber(lastSeen) > tonumber(current[3]) then
  redis.call('HSET', key, 'lastSeenAt', lastSeen)
end
if expiresAt ~= '' then redis.call('HSET', key, 'expiresAt', expiresAt) end
local record = redis.call('HGETALL', key)
-- After HGETALL: an expiresAt already past makes Redis delete the hash at once.
if expiresAt ~= '' then
  redis.call('PEXPIREAT', key, ARGV[8])
  redis.call('ZADD', base .. 'expiry', 'XX', expiresAt, id)
end
announce({id})
return {'ok', record}
`;

/**
 * KEYS: session hash. ARGV: base, nonce, id. Returns 1 when the hash existed, 0 when not, or
 * {"moved", bucket} when a pointer names the bucket that holds it.
 */
const DELETE = `
local existed = drop(ARGV[3])
if existed == 1 then
  announce({ARGV[3]})
  return 1
end
local home = elsewhere(ARGV[3])
if home then return {'moved', home} end
return 0
`;

/**
 * KEYS: user index. ARGV: base, nonce. Returns the user's existing hashes, newest first; index
 * entries whose hash Redis has already expired are removed as they are met.
 */
const LIST_BY_USER = `
local out = {}
for _, id in ipairs(redis.call('ZREVRANGE', KEYS[1], 0, -1)) do
  local record = redis.call('HGETALL', skey(id))
  if #record == 0 then redis.call('ZREM', KEYS[1], id) else out[#out + 1] = record end
end
return out
`;

/** KEYS: user index. ARGV: base, nonce, user, except or "". Returns the ids whose hash was deleted. */
const DELETE_BY_USER = `
local deleted = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if id ~= ARGV[4] and drop(id, ARGV[3]) == 1 then deleted[#deleted + 1] = id end
end
announce(deleted)
return deleted
`;

/**
 * KEYS: expiry index. ARGV: base, nonce, now, limit. Redis drops expired hashes itself; this removes
 * at most `limit` sessions whose stored expiresAt <= now (their hash too, in case Redis's
 * clock is behind the caller's) with their index entries, and returns how many.
 */
const DELETE_EXPIRED = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[3], 'LIMIT', 0, tonumber(ARGV[4]))
for _, id in ipairs(ids) do drop(id) end
return #ids
`;

/**
 * KEYS: ids index. ARGV: base, nonce, ZRANGEBYLEX start ("-" or "(" .. after), limit, now.
 * Returns up to `limit` live hashes in id order, skipping dead entries. Sharded layout: an id
 * whose pointer names another bucket is returned as {"moved", bucket, id} in its place, and
 * an entry with neither hash nor pointer is removed.
 */
const SCAN = `
local out, cursor, limit, now = {}, ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
while #out < limit do
  local batch = redis.call('ZRANGEBYLEX', KEYS[1], cursor, '+', 'LIMIT', 0, limit)
  for _, id in ipairs(batch) do
    local expires = redis.call('HGET', skey(id), 'expiresAt')
    local home = not expires and elsewhere(id)
    if expires and tonumber(expires) > now then
      out[#out + 1] = redis.call('HGETALL', skey(id))
    elseif home then
      out[#out + 1] = {'moved', home, id}
    elseif spread and not expires then
      redis.call('ZREM', KEYS[1], id)
    end
    if #out == limit then break end
  end
  if #batch < limit then break end
  cursor = '(' .. batch[#batch]
end
return out
`;

/**
 * KEYS: the session hash in the bucket its id names (sharded layout). ARGV: base, nonce, id,
 * the bucket that will hold it, the pointer's expiry (epoch ms). Reserves the id: 0 when it
 * is taken, else 1 after writing the pointer and listing the id here for scans.
 */
const CLAIM = `
local id = ARGV[3]
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', pkey(id)) == 1 then return 0 end
redis.call('SET', pkey(id), ARGV[4], 'PXAT', ARGV[5])
redis.call('ZADD', base .. 'ids', 0, id)
return 1
`;

/** KEYS: the session hash in the bucket its id names. ARGV: base, nonce, id. Removes its pointer. */
const FORGET = `
redis.call('DEL', pkey(ARGV[3]))
redis.call('ZREM', base .. 'ids', ARGV[3])
return 1
`;

/**
 * KEYS: any key of the bucket a message is about (it routes the script to that bucket's
 * master). ARGV: channel, message. PUBLISHes from there (redis-cluster.ts: `relay`).
 */
const RELAY = "redis.call('PUBLISH', ARGV[1], ARGV[2])";

/** The single layout (`redis://`, one hash tag) or the sharded one (`redis+cluster://`, buckets). */
export type Layout = "single" | "sharded";

export interface RedisScript {
  readonly source: string;
  readonly sha: string;
}

function script(layout: Layout, body: string): RedisScript {
  const source = prelude(layout) + body;
  return { source, sha: createHash("sha1").update(source).digest("hex") };
}

/** The scripts of a layout. */
export function layoutScripts(layout: Layout) {
  return {
    create: script(layout, CREATE),
    patch: script(layout, PATCH),
    delete: script(layout, DELETE),
    listByUser: script(layout, LIST_BY_USER),
    deleteByUser: script(layout, DELETE_BY_USER),
    deleteExpired: script(layout, DELETE_EXPIRED),
    scan: script(layout, SCAN),
    claim: script(layout, CLAIM),
    forget: script(layout, FORGET),
    relay: { source: RELAY, sha: createHash("sha1").update(RELAY).digest("hex") },
  } as const;
}

export type RedisScripts = ReturnType<typeof layoutScripts>;
