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
 * Redis Cluster: every key of one store carries the same hash tag (`B` starts with
 * `{prefix}`), so all keys a script touches are in one slot and every script below is
 * atomic on Cluster exactly as on a single server. Scripts build some key names from `B`
 * (a user index found through `owner`, the hashes of evicted sessions); Cluster allows it
 * because they share the declared keys' slot.
 */

/**
 * Every script gets the key base and this process's cache nonce first. `drop` removes a
 * session and all its index entries (1 when its hash still existed); `announce` tells every
 * process's session cache which sessions changed, from inside the script, so no change can
 * go unannounced (see SessionCache).
 */
const PRELUDE = `
local base, nonce = ARGV[1], ARGV[2]
local function announce(ids)
  if #ids > 0 then redis.call('PUBLISH', base .. 'inval', nonce .. ' ' .. table.concat(ids, ' ')) end
end
local function skey(id) return base .. 's:' .. id end
local function ukey(user) return base .. 'u:' .. user end
local function drop(id, user)
  user = user or redis.call('HGET', base .. 'owner', id)
  if user then redis.call('ZREM', ukey(user), id) end
  redis.call('HDEL', base .. 'owner', id)
  redis.call('ZREM', base .. 'ids', id)
  redis.call('ZREM', base .. 'expiry', id)
  return redis.call('DEL', skey(id))
end
`;

/**
 * KEYS: session hash. ARGV: base, nonce, id, now, userId or "", createdAt, expiresAt, expiresAt
 * rounded up to an integer, maxPerUser or "", the id it replaces or "", "1" when that
 * replacement is required, then the hash's field/value pairs. Returns nil when the id
 * exists, else {created (0/1), replaced (0/1), evicted ids oldest first}.
 */
const CREATE = `${PRELUDE}
local id, now, user, createdAt, expiresAt, max = ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6], ARGV[7], ARGV[9]
local replacing = ARGV[10]
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local replaced = 0
if replacing ~= '' then
  local expires = redis.call('HGET', skey(replacing), 'expiresAt')
  if expires and tonumber(expires) > now then replaced = 1 end
  drop(replacing)
  announce({replacing})
end
if ARGV[11] == '1' and replaced == 0 then return {0, 0, {}} end
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
redis.call('ZADD', base .. 'ids', 0, id)
redis.call('ZADD', base .. 'expiry', expiresAt, id)
if user ~= '' then
  redis.call('HSET', base .. 'owner', id, user)
  redis.call('ZADD', ukey(user), createdAt, id)
end
return {1, replaced, evicted}
`;

/**
 * KEYS: session hash. ARGV: base, nonce, id, now, ifVersion, lastSeenAt, expiresAt, expiresAt
 * rounded up, maxStateBytes (each "" when absent), the number of fields to delete, those
 * fields, then the field/value pairs to set. Returns {"ok", fields…} or {reason}.
 */
const PATCH = `${PRELUDE}
local key, id, now = KEYS[1], ARGV[3], tonumber(ARGV[4])
local ifVersion, lastSeen, expiresAt, maxBytes = ARGV[5], ARGV[6], ARGV[7], ARGV[9]
local first = 11
local setFrom = first + tonumber(ARGV[10])
local current = redis.call('HMGET', key, 'expiresAt', 'version', 'lastSeenAt')
if not current[1] or tonumber(current[1]) <= now then return {'not_found'} end
if ifVersion ~= '' and tonumber(ifVersion) ~= tonumber(current[2]) then return {'conflict'} end
if maxBytes ~= '' then
  -- JSON.stringify(state) is "{" + the members joined by "," + "}", each member being
  -- <json key>:<json value>; field names carry the JSON key after "t:".
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
  if total > tonumber(maxBytes) then return {'too_large'} end
end
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

/** KEYS: session hash. ARGV: base, nonce, id. Returns 1 when the hash existed. */
const DELETE = `${PRELUDE}
local existed = drop(ARGV[3])
if existed == 1 then announce({ARGV[3]}) end
return existed
`;

/**
 * KEYS: user index. ARGV: base, nonce. Returns the user's existing hashes, newest first; index
 * entries whose hash Redis has already expired are removed as they are met.
 */
const LIST_BY_USER = `${PRELUDE}
local out = {}
for _, id in ipairs(redis.call('ZREVRANGE', KEYS[1], 0, -1)) do
  local record = redis.call('HGETALL', skey(id))
  if #record == 0 then redis.call('ZREM', KEYS[1], id) else out[#out + 1] = record end
end
return out
`;

/** KEYS: user index. ARGV: base, nonce, user, except or "". Returns the ids whose hash was deleted. */
const DELETE_BY_USER = `${PRELUDE}
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
const DELETE_EXPIRED = `${PRELUDE}
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[3], 'LIMIT', 0, tonumber(ARGV[4]))
for _, id in ipairs(ids) do drop(id) end
return #ids
`;

/**
 * KEYS: ids index. ARGV: base, nonce, ZRANGEBYLEX start ("-" or "(" .. after), limit, now.
 * Returns up to `limit` live hashes in id order, skipping dead entries.
 */
const SCAN = `${PRELUDE}
local out, cursor, limit, now = {}, ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
while #out < limit do
  local batch = redis.call('ZRANGEBYLEX', KEYS[1], cursor, '+', 'LIMIT', 0, limit)
  for _, id in ipairs(batch) do
    local expires = redis.call('HGET', skey(id), 'expiresAt')
    if expires and tonumber(expires) > now then
      out[#out + 1] = redis.call('HGETALL', skey(id))
      if #out == limit then break end
    end
  end
  if #batch < limit then break end
  cursor = '(' .. batch[#batch]
end
return out
`;

export interface RedisScript {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): RedisScript {
  return { source, sha: createHash("sha1").update(source).digest("hex") };
}

export const scripts = {
  create: script(CREATE),
  patch: script(PATCH),
  delete: script(DELETE),
  listByUser: script(LIST_BY_USER),
  deleteByUser: script(DELETE_BY_USER),
  deleteExpired: script(DELETE_EXPIRED),
  scan: script(SCAN),
} as const;
