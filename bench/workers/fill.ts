/**
 * Filling a store with many sessions quickly, with rows identical to the store's own:
 * SQLite through the store's create inside one outer transaction; Redis through the store's
 * create (its Lua script), many calls in flight on one connection (pipelined); PostgreSQL
 * by copying a row the store created, in multi-row INSERT … SELECT statements, changing
 * only the id, the user and the expiry.
 */
import { join } from "node:path";
import pg from "pg";
import { postgresStore } from "../../src/stores/postgres.js";
import { redisStoreFromUrl } from "../../src/stores/redis.js";
import { sqliteStore } from "../../src/stores/sqlite.js";
import { openDatabase } from "../../src/stores/sqlite-schema.js";
import type { SessionRecord, Store } from "../../src/stores/store.js";

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

export async function fillRedis(input: FillInput): Promise<Filled> {
  const store = await redisStoreFromUrl(input.location, { prefix: "scale:" });
  const inFlight = 2_000;
  const count = input.ids.length;
  for (let start = 0; start < count; start += inFlight) {
    const batch: Promise<unknown>[] = [];
    for (let i = start; i < Math.min(count, start + inFlight); i++) {
      batch.push(store.create(input.record(i), { now: input.now }));
    }
    await Promise.all(batch);
  }
  return { store, path: `store.create (its Lua script), ${inFlight} in flight`, close: () => store.close() };
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
  return {
    store,
    path: "INSERT … SELECT copies of a row the store wrote (new id, user, expiry)",
    close: async () => {
      await pool.query(`DROP TABLE ${table}`);
      await pool.end();
    },
  };
}
