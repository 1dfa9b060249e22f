/**
 * Filling a store with many sessions quickly, with rows identical to the store's own:
 * SQLite through the store's create inside one outer transaction; Redis through the store's
 * create (its Lua script), many calls in flight on one connection (pipelined); PostgreSQL
 * by copying a row the store created, in multi-row INSERT … SELECT statements, changing
 * only the id, the user and the expiry.
 */
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { Redis } from "ioredis";
import pg from "pg";
import type { SessionRecord, Store } from "stint";
import { postgresStore } from "stint/postgres";
import { redisStore } from "stint/redis";
import { sqliteStore } from "stint/sqlite";
import { openDatabase } from "../../src/stores/sqlite-schema.js";

export interface Filled {
  store: Store;
  /** How the rows were written. */
  path: string;
  close(): Promise<void>;
}

export interface FillInput {
  /** SQLite's directory, or the Redis / PostgreSQL URL. */
  location: string;
  ids: readonly string[];
  /** The record of index `i` (ids[i]); the first `expired` expire at `soonAt`, the rest at `lateAt`. */
  record(index: number): SessionRecord;
  expired: number;
  soonAt: number;
  lateAt: number;
  now: number;
}

export async function fillSqlite(input: FillInput): Promise<Filled> {
  const db = openDatabase(join(input.location, "scale.db"));
  const store = sqliteStore({ database: db });
  const failures: unknown[] = [];
  // The store's create runs synchronously inside; the outer transaction makes each one a savepoint.
  db.exec("BEGIN");
  for (let i = 0; i < input.ids.length; i++) {
    store.create(input.record(i), { now: input.now }).catch((error) => failures.push(error));
  }
  db.exec("COMMIT");
  if (failures.length > 0) throw failures[0];
  return {
    store,
    path: "store.create, in one transaction",
    close: async () => {
      await store.close();
      db.close();
    },
  };
}

/**
 * Copies of a session hash the store created, with its index entries, as the store's create
 * script lays them out (src/stores/redis-scripts.ts): the fields, PEXPIREAT, the `ids` and
 * `expiry` sorted sets, the owner and the user's sorted set. Checked afterwards through the
 * store itself (count, and a copy read back equal to the template but for id, user, expiry).
 */
const COPY_SESSIONS = `
local base, template, first, expiredBelow, soonAt, lateAt = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], ARGV[6]
local fields = redis.call('HGETALL', base .. 's:' .. template)
local createdAt = redis.call('HGET', base .. 's:' .. template, 'createdAt')
for i = 7, #ARGV do
  local id, index = ARGV[i], first + i - 7
  local expiresAt = index < expiredBelow and soonAt or lateAt
  local user = 'u_' .. (index % 100000)
  local copy = {}
  for j = 1, #fields, 2 do
    local name, value = fields[j], fields[j + 1]
    if name == 'id' then value = id elseif name == 'expiresAt' then value = expiresAt elseif name == 'userId' then value = user end
    copy[#copy + 1] = name
    copy[#copy + 1] = value
  end
  local key = base .. 's:' .. id
  redis.call('HSET', key, unpack(copy))
  redis.call('PEXPIREAT', key, expiresAt)
  redis.call('ZADD', base .. 'ids', 0, id)
  redis.call('ZADD', base .. 'expiry', expiresAt, id)
  redis.call('HSET', base .. 'owner', id, user)
  redis.call('ZADD', base .. 'u:' .. user, createdAt, id)
end
return #ARGV - 6
`;

export async function fillRedis(input: FillInput): Promise<Filled> {
  const client = new Redis(input.location, { maxRetriesPerRequest: 1 });
  const prefix = "scale:";
  const store = redisStore({ client, prefix });
  const template = input.record(0);
  await store.create(template, { now: input.now });
  const batch = 5_000;
  for (let start = 1; start < input.ids.length; start += batch) {
    const ids = input.ids.slice(start, start + batch);
    const args = [`{${prefix}}`, template.id, start, input.expired, input.soonAt, input.lateAt, ...ids];
    await client.eval(COPY_SESSIONS, 0, ...args);
  }
  await checkCopies(store, input, template);
  return {
    store,
    path: "EVAL copies of a session the store created (Lua, 5,000 a call)",
    close: async () => void (await client.quit()),
  };
}

/** The store sees every copy, and a copy reads back as the template with its own id, user and expiry. */
async function checkCopies(store: Store, input: FillInput, template: SessionRecord): Promise<void> {
  const count = await store.count?.(input.now);
  if (count !== input.ids.length) throw new Error(`the store counts ${count} sessions, not ${input.ids.length}`);
  const last = input.ids.length - 1;
  const copy = await store.get(input.ids[last] as string, input.now);
  const expected = { ...template, id: input.ids[last], userId: `u_${last % 100_000}`, expiresAt: input.lateAt };
  if (!isDeepStrictEqual(copy, expected)) {
    throw new Error(`a copied session reads back differently:\n${JSON.stringify(copy)}\n${JSON.stringify(expected)}`);
  }
}

export async function fillPostgres(input: FillInput): Promise<Filled> {
  const pool = new pg.Pool({ connectionString: input.location, max: 4 });
  const table = "scale_sessions";
  const store = postgresStore({ pool, table });
  const template = input.record(0);
  await store.create(template, { now: input.now });
  // Record i of the copies is u.n - 1 + offset (u.n counts from 1).
  const copy = `INSERT INTO ${table} (id, secret_hash, user_id, created_at, last_seen_at, expires_at,
      absolute_expires_at, authenticated_at, persistent, version, data, state, state_bytes, updated_at, meta)
    SELECT u.id, t.secret_hash, 'u_' || ((u.n - 1 + $3::bigint) % 100000), t.created_at, t.last_seen_at,
      CASE WHEN u.n - 1 + $3::bigint < $4::bigint THEN $5::bigint ELSE $6::bigint END,
      t.absolute_expires_at, t.authenticated_at, t.persistent, t.version, t.data, t.state, t.state_bytes,
      t.updated_at, t.meta
    FROM unnest($1::text[]) WITH ORDINALITY AS u(id, n) CROSS JOIN ${table} t WHERE t.id = $2`;
  const batch = 20_000;
  for (let start = 1; start < input.ids.length; start += batch) {
    const ids = input.ids.slice(start, start + batch);
    await pool.query(copy, [ids, template.id, start, input.expired, input.soonAt, input.lateAt]);
  }
  await pool.query(`ANALYZE ${table}`);
  await checkCopies(store, input, template);
  return {
    store,
    path: "INSERT … SELECT copies of a row the store wrote (new id, user, expiry)",
    close: async () => {
      await pool.query(`DROP TABLE ${table}`);
      await pool.end();
    },
  };
}
