import { randomBytes } from "node:crypto";
import pg from "pg";
import { StintError, StoreConflictError, StoreUnavailableError } from "../core/errors.js";
import { type PostgresListenConnection, postgresPubSub } from "../transports/postgres.js";
import { type CacheOptions, patchedRecord, SessionCache, writeThrough } from "./cache.js";
import { probeHealth } from "./health.js";
import { changesData, changesState } from "./patch-keys.js";
import { postgresAttempts } from "./postgres-attempts.js";
import { escapeJson, escapeKey, memberSizes, unescapeJson } from "./postgres-json.js";
import { checkTableName, migrate, type PostgresQueryable, statements } from "./postgres-schema.js";
import { postgresUserState } from "./postgres-user-state.js";
import { parseStored } from "./record-check.js";
import type { CompleteStore, PatchResult, SessionPatch, SessionRecord } from "./store.js";

export type { PostgresQueryable } from "./postgres-schema.js";

/** What the store calls on its pool, typed structurally: a pg 8 `Pool` fits. */
export interface PostgresPool extends PostgresQueryable {
  /** A dedicated connection, for the transactions of create and for migration. */
  connect(): Promise<PostgresQueryable & { release(error?: Error | boolean): void }>;
  /** pg's Pool keeps the settings it was made with: the LISTEN connection uses the same. */
  readonly options?: pg.ClientConfig;
}

interface Row {
  id: string;
  secret_hash: string;
  user_id: string | null;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  absolute_expires_at: string;
  authenticated_at: string | null;
  persistent: boolean;
  version: number;
  data: string;
  state: string;
  updated_at: string;
  meta: string;
}

interface CommonOptions {
  /**
   * The exact per-process cache of session records (on by default): reads are answered from
   * memory, and every change by any process drops the record through LISTEN/NOTIFY. `false`
   * sends every read to PostgreSQL.
   */
  cache?: CacheOptions | false;
  /** Default "stint_sessions"; created or migrated on first use. */
  table?: string;
}

export interface PostgresUrlOptions extends CommonOptions {
  /** `postgres://user:password@host:5432/db`: the store opens and ends its own pool. */
  url: string;
  /** Bound on connecting and on every statement, in ms. Default 2,000. */
  timeoutMs?: number;
  /** Pool size. Default 10 (one connection is held for LISTEN). */
  max?: number;
}

export interface PostgresPoolOptions extends CommonOptions {
  /** Your pg Pool; it stays yours to end. One of its connections is held for LISTEN. */
  pool: PostgresPool;
}

export type PostgresStoreOptions = PostgresUrlOptions | PostgresPoolOptions;

/**
 * Sessions in PostgreSQL, shared by every worker and machine. A patch is one UPDATE with
 * jsonb operators; the table is created or migrated on first use, under an advisory lock.
 * Stint's events travel between the processes sharing the store over LISTEN/NOTIFY.
 *
 * @example
 * import { postgresStore } from "stint/postgres";
 * const stint = createStint({ store: postgresStore({ url: process.env.DATABASE_URL! }), secret });
 */
export function postgresStore(options: PostgresStoreOptions): CompleteStore {
  const { table = "stint_sessions" } = options;
  const own = "url" in options ? ownPool(options) : null;
  const pool: PostgresPool = own ?? (options as PostgresPoolOptions).pool;
  const pubsub = postgresPubSub({
    query: (text, values) => pool.query(text, values),
    listen: () => listenConnection("url" in options ? { connectionString: options.url } : poolSettings(pool)),
  });
  // A NOTIFY channel is an identifier: the table's name (checked below) keeps it one.
  const channel = `${table}_inval`;
  const nonce = randomBytes(9).toString("base64url");
  const cache = options.cache === false ? null : new SessionCache(pubsub, channel, nonce, options.cache);
  /** The two parameters every announcing statement ends with (see postgres-schema.ts). */
  const announce = [channel, nonce];
  checkTableName(table);
  const sql = statements(table);

  // Migrated once, on first use; a failure (server down at start) is retried by the next call.
  let ready: Promise<void> | undefined;
  const prepared = (): Promise<void> =>
    (ready ??= (async () => {
      const client = await pool.connect();
      try {
        await migrate(client, table);
      } finally {
        client.release();
      }
    })().catch((error: unknown) => {
      ready = undefined;
      throw error;
    }));

  const query = async (text: string, values: unknown[]) => {
    await prepared();
    return pool.query(text, values);
  };

  const read = async (id: string, now: number): Promise<SessionRecord | null> => {
    const { rows } = await guard(() => query(sql.get, [id, now]));
    return rows[0] ? decode(rows[0] as unknown as Row) : null;
  };

  const patchOnce = async (id: string, patch: SessionPatch): Promise<PatchResult | undefined> => {
    const data = changesData(patch);
    const state = changesState(patch);
    const { rows } = await query(sql.patch, [
      id,
      patch.now,
      data,
      (patch.dataUnset ?? []).map(escapeKey),
      escapeJson(JSON.stringify(patch.dataSet ?? {})),
      state,
      (patch.stateUnset ?? []).map(escapeKey),
      escapeJson(JSON.stringify(patch.stateSet ?? {})),
      escapeJson(JSON.stringify(memberSizes(patch.stateSet ?? {}))),
      patch.lastSeenAt ?? null,
      patch.expiresAt ?? null,
      patch.ifVersion ?? null,
      patch.maxStateBytes ?? null,
      ...announce,
    ]);
    if (rows[0]) return { ok: true, record: decode(rows[0] as unknown as Row) };
    // Tell why nothing matched. A patch committed in between can change the answer: then
    // the caller tries again.
    const current = (await query(sql.version, [id, patch.now])).rows[0];
    if (!current) return { ok: false, reason: "not_found" };
    if (patch.ifVersion !== undefined && Number(current.version) !== patch.ifVersion) {
      return { ok: false, reason: "conflict" };
    }
    if (patch.maxStateBytes !== undefined) return { ok: false, reason: "too_large" };
    return undefined;
  };

  return writeThrough(cache, {
    kind: "postgres",

    async create(record, { maxPerUser, replace, now }) {
      return guard(async () => {
        const values = encode(record);
        const limited = record.userId !== null && maxPerUser !== undefined;
        if (!limited && !replace) {
          await query(sql.insert, values);
          return { created: true, replaced: false, evicted: [] };
        }
        await prepared();
        const client = await pool.connect();
        try {
          await client.query("BEGIN");
          if (limited) await client.query(sql.lockUser, [`${table}:${record.userId}`]);
          let replaced = false;
          if (replace && storable(replace.id)) {
            const { rows } = await client.query(sql.deleteReturningLive, [replace.id, now, ...announce]);
            replaced = rows[0]?.live === true;
          }
          if (replace?.required && !replaced) {
            await client.query("ROLLBACK");
            return { created: false, replaced, evicted: [] };
          }
          await client.query(sql.insert, values);
          const { rows } = limited
            ? await client.query(sql.evict, [
                record.userId,
                record.id,
                now,
                Math.max(0, (maxPerUser as number) - 1),
                ...announce,
              ])
            : { rows: [] };
          await client.query("COMMIT");
          const evicted = rows.map((row) => ({ id: String(row.id), createdAt: Number(row.created_at) }));
          evicted.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
          const evictedIds = evicted.map((row) => row.id);
          cache?.invalidate(replace ? [replace.id, ...evictedIds] : evictedIds);
          return { created: true, replaced, evicted: evictedIds };
        } catch (error) {
          await client.query("ROLLBACK").catch(() => {});
          // The COMMIT may have gone through before the failure: see SessionCache.uncertain.
          cache?.uncertain(limited ? undefined : replace && [replace.id]);
          throw error;
        } finally {
          client.release();
        }
      });
    },

    async get(id, now) {
      if (!storable(id)) return null;
      return cache ? cache.read(id, now, () => read(id, now)) : read(id, now);
    },

    peek: (id, now) => cache?.peek(id, now),

    async patch(id, patch) {
      if (!storable(id)) return { ok: false, reason: "not_found" };
      const apply = () =>
        guard(async (): Promise<PatchResult> => {
          for (let attempt = 0; attempt < 5; attempt++) {
            const result = await patchOnce(id, patch);
            if (result) return result;
          }
          return { ok: false, reason: "conflict" };
        });
      // The answer holds the record as it now stands: the cache keeps it, or drops the session
      // whatever else happens (even a failure may have been applied).
      return cache ? cache.write(id, apply, patchedRecord) : apply();
    },

    async delete(id) {
      if (!storable(id)) return false;
      try {
        return ((await guard(() => query(sql.delete, [id, ...announce]))).rowCount ?? 0) > 0;
      } finally {
        // Even a failed delete may have been applied: see SessionCache.uncertain.
        cache?.invalidate([id]);
      }
    },

    async listByUser(userId, now) {
      if (!storable(userId)) return [];
      const { rows } = await guard(() => query(sql.listByUser, [userId, now]));
      return rows.map((row) => decode(row as unknown as Row));
    },

    async deleteByUser(userId, options = {}) {
      if (!storable(userId)) return [];
      const { rows } = await guard(() => query(sql.deleteByUser, [userId, options.except ?? null, ...announce])).catch(
        (error: unknown) => {
          cache?.uncertain();
          throw error;
        },
      );
      const deleted = rows.map((row) => String(row.id));
      cache?.invalidate(deleted);
      return deleted;
    },

    async deleteExpired(now, limit) {
      if (!(limit > 0)) return 0;
      return (await guard(() => query(sql.deleteExpired, [now, Math.floor(limit)]))).rowCount ?? 0;
    },

    async count(now) {
      const { rows } = await guard(() => query(sql.count, [now]));
      return Number(rows[0]?.count ?? 0);
    },

    async scan({ after, limit, now }) {
      if (!(limit > 0)) return [];
      const { rows } = await guard(() => query(sql.scan, [after ?? null, now, Math.floor(limit)]));
      return rows.map((row) => decode(row as unknown as Row));
    },

    health: () => probeHealth(() => guard(() => query("SELECT 1", []))),

    pubsub,
    ...(cache && { cache }),

    userState: postgresUserState(pool, table, guard),
    attempts: postgresAttempts(pool, table, guard),

    async close() {
      cache?.close();
      await pubsub.close();
      // A pool given by the caller stays theirs to end.
      await own?.end();
    },
  });
}

/**
 * PostgreSQL text cannot hold U+0000: no stored id or user id contains it, so such an id (from
 * a URL path, say) is simply unknown rather than a database error.
 */
function storable(id: string): boolean {
  return !id.includes("\u0000");
}

function encode(record: SessionRecord): unknown[] {
  return [
    record.id,
    record.secretHash,
    record.userId,
    record.createdAt,
    record.lastSeenAt,
    record.expiresAt,
    record.absoluteExpiresAt,
    record.authenticatedAt,
    record.persistent,
    record.version,
    escapeJson(JSON.stringify(record.data)),
    escapeJson(JSON.stringify(record.state)),
    escapeJson(JSON.stringify(memberSizes(record.state))),
    record.updatedAt,
    escapeJson(JSON.stringify(record.meta)),
  ];
}

// bigint columns arrive as strings (pg does not guess at precision); jsonb is selected as
// text so the NUL escape is undone before JSON.parse, which keeps `__proto__` an own key.
function decode(row: Row): SessionRecord {
  return {
    id: row.id,
    secretHash: row.secret_hash,
    userId: row.user_id,
    createdAt: Number(row.created_at),
    lastSeenAt: Number(row.last_seen_at),
    expiresAt: Number(row.expires_at),
    absoluteExpiresAt: Number(row.absolute_expires_at),
    authenticatedAt: row.authenticated_at === null ? null : Number(row.authenticated_at),
    persistent: row.persistent,
    version: Number(row.version),
    data: parseStored(unescapeJson(row.data)),
    state: parseStored(unescapeJson(row.state)),
    updatedAt: Number(row.updated_at),
    meta: parseStored(unescapeJson(row.meta)),
  };
}

// SQLSTATE classes and codes meaning "the database cannot serve us now": 08 connection
// exception, 53 insufficient resources, 57P01-57P03 shutdown / not accepting connections,
// 57014 statement_timeout, 40001/40P01 serialization failure and deadlock (retry later).
const UNAVAILABLE_SQLSTATE = /^(08|53|57P0[1-3]$|57014$|40001$|40P01$|3D000$|28)/;
const UNAVAILABLE_ERRNO = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH"]);
// pg's own errors carry no code: a lost connection, an exhausted pool wait, query_timeout.
const UNAVAILABLE_MESSAGE = /terminated|timeout|timed out|not queryable|connection|ended the pool|after calling end/i;

/** Runs a pool call, turning its failures into Stint's store errors (fail closed). */
async function guard<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw translate(error);
  }
}

function translate(error: unknown): unknown {
  if (error instanceof StintError || error instanceof StoreConflictError) return error;
  const code = String((error as { code?: unknown } | null)?.code ?? "");
  if (code === "23505") return new StoreConflictError();
  const message = String((error as Error | null)?.message ?? error);
  if (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code) || (!code && UNAVAILABLE_MESSAGE.test(message))) {
    const reason =
      code === "57014" || /timeout|timed out/i.test(message)
        ? "timeout"
        : /ended the pool|after calling end/i.test(message)
          ? "closed"
          : "unreachable";
    return new StoreUnavailableError(`The PostgreSQL store is unavailable (${code || message}).`, {
      cause: error,
      reason,
    });
  }
  return error;
}

/**
 * The store's own pg.Pool. Connecting and every statement are bounded by `timeoutMs`, so an
 * outage gives 503 quickly, never a hang; the pool opens fresh connections once the server is
 * back.
 */
function ownPool({ url, timeoutMs = 2_000, max = 10 }: PostgresUrlOptions) {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: timeoutMs,
    // Client-side bound (the socket may be dead) and server-side bound (a stuck lock).
    query_timeout: timeoutMs,
    statement_timeout: timeoutMs,
    idleTimeoutMillis: 30_000,
  });
  // An idle connection killed by the server (restart, 57P01) emits "error" on the pool;
  // unhandled, it would crash the process. The next query simply gets a new connection.
  pool.on("error", () => {});
  return pool;
}

/** The connection settings of a pool given by the app, for the LISTEN connection. */
function poolSettings(pool: PostgresPool): pg.ClientConfig {
  if (!pool.options) throw new TypeError("postgresStore: a pool without `options` cannot open a LISTEN connection.");
  return pool.options;
}

/** A pg Client of its own for LISTEN, bounded like the store's connections. */
async function listenConnection(settings: pg.ClientConfig): Promise<PostgresListenConnection> {
  const client = new pg.Client({ connectionTimeoutMillis: 2_000, ...settings });
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return Object.assign(client, { release: () => void client.end().catch(() => undefined) });
}
