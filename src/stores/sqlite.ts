import type BetterSqlite3 from "better-sqlite3";
import { StintError, StoreConflictError, StoreUnavailableError } from "../core/errors.js";
import { applyPatch } from "./apply-patch.js";
import { probeHealth } from "./health.js";
import { type CacheOptions, RecordCache } from "./record-cache.js";
import { parseStored, recordProblem } from "./record-check.js";
import { sqliteAttempts } from "./sqlite-attempts.js";
import { checkTableName, openDatabase, prepareDatabase } from "./sqlite-schema.js";
import { sqliteUserState } from "./sqlite-user-state.js";
import type { CompleteStore, CreateOptions, CreateResult, PatchResult, SessionPatch, SessionRecord } from "./store.js";

export interface SqliteStoreOptions {
  /** A file, created with its directory when missing, or ":memory:". */
  path?: string;
  /** An open handle to use instead of `path`; closing it stays the caller's job. */
  database?: BetterSqlite3.Database;
  /** Default "stint_sessions". */
  table?: string;
  /**
   * Records kept in memory between reads (on by default), checked against `PRAGMA
   * data_version` on every read: a commit by another connection (another process on the same
   * file, the CLI) empties it. Give each connection one store. `false` reads every time.
   */
  cache?: CacheOptions | false;
}

/**
 * A row as better-sqlite3's raw mode gives it: an array in COLUMNS order. Raw rows cost
 * about a third less than objects with named keys on the read path of every request.
 */
type Row = [
  id: string,
  secretHash: string,
  userId: string | null,
  createdAt: number,
  lastSeenAt: number,
  expiresAt: number,
  absoluteExpiresAt: number,
  authenticatedAt: number | null,
  persistent: number,
  version: number,
  data: string,
  state: string,
  updatedAt: number,
  meta: string,
];

const COLUMNS =
  "id, secret_hash, user_id, created_at, last_seen_at, expires_at, absolute_expires_at, authenticated_at, persistent, version, data, state, updated_at, meta";

// Driver codes that mean "the database cannot serve us now", as opposed to a bug in our SQL.
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|FULL|NOTADB|CORRUPT|READONLY|PERM)/;

/**
 * The embedded default: one SQLite file, shared safely by the workers of one machine.
 *
 * @example
 * const stint = createStint({ store: sqliteStore({ path: "./data/stint.db" }) });
 */
export function sqliteStore(options: SqliteStoreOptions): CompleteStore {
  const { path, database, table = "stint_sessions" } = options;
  checkTableName(table);
  if (!database && path === undefined) throw new TypeError("sqliteStore: give a `path` or an open `database`.");
  const db = guard(() => database ?? openDatabase(path as string));
  try {
    guard(() => prepareDatabase(db, table), db);
  } catch (error) {
    if (!database) db.close();
    throw error;
  }
  const sql = statements(db, `"${table}"`);
  const userState = sqliteUserState(db, table, (call) => guard(call, db));
  const attempts = sqliteAttempts(db, table, (call) => guard(call, db));

  const createTx = db.transaction((record: SessionRecord, options: CreateOptions): CreateResult => {
    const { maxPerUser, replace, now } = options;
    const replaced = replace !== undefined && sql.deleteLive.run(replace.id, now).changes > 0;
    // An expired replaced row goes too: it is dead either way.
    if (replace && !replaced) sql.delete.run(replace.id);
    if (replace?.required && !replaced) return { created: false, replaced, evicted: [] };
    sql.insert.run(encode(record));
    if (record.userId === null || maxPerUser === undefined) return { created: true, replaced, evicted: [] };
    const keep = Math.max(0, maxPerUser - 1);
    const evicted = sql.evict.all({ userId: record.userId, id: record.id, now, keep }) as Array<{
      id: string;
      created_at: number;
    }>;
    evicted.sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1));
    return { created: true, replaced, evicted: evicted.map((row) => row.id) };
  });

  /**
   * Read, apply in JS, write back, inside one IMMEDIATE transaction: it holds the file's write
   * lock from the read on, so no other connection or process can change the row in between.
   * Keys are applied by the same function as the file store's, so every key, a NUL inside one
   * included, is kept exactly (SQLite's JSON functions cut text at a NUL).
   */
  const patchTx = db.transaction((id: string, patch: SessionPatch): PatchResult => {
    const row = sql.get.get(id, patch.now) as Row | undefined;
    const stored = row ? decode(row) : undefined;
    if (stored && recordProblem(stored, id)) return { ok: false, reason: "not_found" };
    const result = applyPatch(stored, patch);
    if (!result.ok) return result;
    const next = result.record;
    if (next.version === stored?.version) {
      sql.touch.run(next.lastSeenAt, next.expiresAt, id);
    } else {
      sql.update.run({
        id,
        data: JSON.stringify(next.data),
        state: JSON.stringify(next.state),
        version: next.version,
        updatedAt: next.updatedAt,
        lastSeenAt: next.lastSeenAt,
        expiresAt: next.expiresAt,
      });
    }
    return result;
  });

  const cache = options.cache === false ? null : new RecordCache(options.cache);
  const stats = { hits: 0, misses: 0, invalidations: 0, bypasses: 0, linkDrops: 0 };
  let seenVersion: number | undefined;
  /**
   * The cache may answer only while no other connection has committed since it was filled:
   * SQLite's data_version changes exactly then (this connection's own commits leave it as it
   * is, and drop what they touch themselves). One pragma costs a fraction of a SELECT.
   */
  const cached = (id: string, now: number): SessionRecord | null | undefined => {
    if (!cache) return undefined;
    const version = guard(() => sql.dataVersion.get(), db) as number;
    if (version !== seenVersion) {
      if (seenVersion !== undefined && cache.size > 0) stats.linkDrops++;
      cache.clear();
      seenVersion = version;
      return undefined;
    }
    const record = cache.get(id, now);
    if (record) stats.hits++;
    return record;
  };
  const read = (id: string, now: number): SessionRecord | null => {
    const known = cached(id, now);
    if (known !== undefined) return known;
    const row = guard(() => sql.get.get(id, now), db) as Row | undefined;
    const record = row ? decode(row) : null;
    if (cache) {
      stats.misses++;
      if (record && recordProblem(record, id) === null) cache.put(record);
    }
    return record;
  };
  /** This connection's own writes: data_version stays, so they drop what they touched. */
  const touched = (ids: Iterable<string>) => {
    if (!cache) return;
    for (const id of ids) if (cache.remove(id)) stats.invalidations++;
  };

  return {
    kind: "sqlite",

    async create(record, options) {
      try {
        const result = guard(() => createTx.immediate(record, options), db);
        touched(result.evicted);
        return result;
      } finally {
        if (options.replace) touched([options.replace.id]);
      }
    },

    async get(id, now) {
      return read(id, now);
    },

    // better-sqlite3 is synchronous: every read is answered without a promise.
    peek: (id, now) => read(id, now),

    async patch(id, patch) {
      try {
        return guard(() => patchTx.immediate(id, patch), db);
      } finally {
        touched([id]);
      }
    },

    async delete(id) {
      try {
        return guard(() => sql.delete.run(id), db).changes > 0;
      } finally {
        touched([id]);
      }
    },

    async listByUser(userId, now) {
      return (guard(() => sql.listByUser.all(userId, now), db) as Row[]).map(decode);
    },

    async deleteByUser(userId, options = {}) {
      const rows = guard(() => sql.deleteByUser.all(userId, options.except ?? null), db) as Array<{ id: string }>;
      const deleted = rows.map((row) => row.id);
      touched(deleted);
      return deleted;
    },

    async deleteExpired(now, limit) {
      // A negative LIMIT means "no limit" to SQLite; the contract means "nothing".
      if (!(limit > 0)) return 0;
      return guard(() => sql.deleteExpired.run(now, Math.floor(limit)), db).changes;
    },

    async count(now) {
      return guard(() => sql.count.get(now), db) as number;
    },

    async scan({ after, limit, now }) {
      if (!(limit > 0)) return [];
      const rows = guard(
        () =>
          after === undefined
            ? sql.scanFirst.all(now, Math.floor(limit))
            : sql.scanAfter.all(after, now, Math.floor(limit)),
        db,
      ) as Row[];
      return rows.map(decode);
    },

    userState,
    attempts,
    ...(cache && { cache: { stats: () => ({ ...stats, entries: cache.size, bytes: cache.bytes }) } }),

    health: () => probeHealth(() => guard(() => sql.ping.get(), db)),

    async close() {
      if (!database && db.open) db.close();
    },
  };
}

function statements(db: BetterSqlite3.Database, t: string) {
  const prepare = (source: string) => guard(() => db.prepare(source), db);
  return {
    insert: prepare(`INSERT INTO ${t} (id, secret_hash, user_id, created_at, last_seen_at, expires_at,
        absolute_expires_at, authenticated_at, persistent, version, data, state, updated_at, meta)
      VALUES (:id, :secretHash, :userId, :createdAt, :lastSeenAt, :expiresAt,
        :absoluteExpiresAt, :authenticatedAt, :persistent, :version, :data, :state, :updatedAt, :meta)`),
    get: prepare(`SELECT ${COLUMNS} FROM ${t} WHERE id = ? AND expires_at > ?`).raw(true),
    update: prepare(`UPDATE ${t} SET data = :data, state = :state, version = :version, updated_at = :updatedAt,
        last_seen_at = :lastSeenAt, expires_at = :expiresAt WHERE id = :id`),
    touch: prepare(`UPDATE ${t} SET last_seen_at = ?, expires_at = ? WHERE id = ?`),
    evict: prepare(`DELETE FROM ${t} WHERE id IN (
        SELECT id FROM ${t} WHERE user_id = :userId AND id != :id AND expires_at > :now
        ORDER BY created_at DESC, id DESC LIMIT -1 OFFSET :keep)
      RETURNING id, created_at`),
    delete: prepare(`DELETE FROM ${t} WHERE id = ?`),
    deleteLive: prepare(`DELETE FROM ${t} WHERE id = ? AND expires_at > ?`),
    listByUser: prepare(
      `SELECT ${COLUMNS} FROM ${t} WHERE user_id = ? AND expires_at > ? ORDER BY created_at DESC, id DESC`,
    ).raw(true),
    deleteByUser: prepare(`DELETE FROM ${t} WHERE user_id = ? AND id IS NOT ? RETURNING id`),
    deleteExpired: prepare(
      `DELETE FROM ${t} WHERE id IN (SELECT id FROM ${t} WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)`,
    ),
    count: prepare(`SELECT count(*) FROM ${t} WHERE expires_at > ?`).pluck(),
    scanFirst: prepare(`SELECT ${COLUMNS} FROM ${t} WHERE expires_at > ? ORDER BY id LIMIT ?`).raw(true),
    scanAfter: prepare(`SELECT ${COLUMNS} FROM ${t} WHERE id > ? AND expires_at > ? ORDER BY id LIMIT ?`).raw(true),
    ping: prepare("SELECT 1"),
    dataVersion: prepare("PRAGMA data_version").pluck(),
  };
}

function encode(record: SessionRecord): Record<string, string | number | null> {
  return {
    id: record.id,
    secretHash: record.secretHash,
    userId: record.userId,
    createdAt: record.createdAt,
    lastSeenAt: record.lastSeenAt,
    expiresAt: record.expiresAt,
    absoluteExpiresAt: record.absoluteExpiresAt,
    authenticatedAt: record.authenticatedAt,
    persistent: record.persistent ? 1 : 0,
    version: record.version,
    data: JSON.stringify(record.data),
    state: JSON.stringify(record.state),
    updatedAt: record.updatedAt,
    meta: JSON.stringify(record.meta),
  };
}

// JSON.parse defines `__proto__` as an own data property, so such keys round-trip without
// touching Object.prototype.
function decode(row: Row): SessionRecord {
  const [id, secretHash, userId, createdAt, lastSeenAt, expiresAt, absoluteExpiresAt, authenticatedAt] = row;
  return {
    id,
    secretHash,
    userId,
    createdAt,
    lastSeenAt,
    expiresAt,
    absoluteExpiresAt,
    authenticatedAt,
    persistent: row[8] === 1,
    version: row[9],
    data: parseStored(row[10]),
    state: parseStored(row[11]),
    updatedAt: row[12],
    meta: parseStored(row[13]),
  };
}

/** Runs a driver call, turning its failures into Stint's store errors (fail closed). */
function guard<T>(call: () => T, db?: BetterSqlite3.Database): T {
  try {
    return call();
  } catch (error) {
    throw translate(error, db);
  }
}

function translate(error: unknown, db: BetterSqlite3.Database | undefined): unknown {
  if (error instanceof StintError || error instanceof StoreConflictError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "SQLITE_CONSTRAINT_PRIMARYKEY") return new StoreConflictError();
  if (typeof code === "string" && UNAVAILABLE.test(code)) {
    const reason = code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED") ? "timeout" : "error";
    return new StoreUnavailableError(`The SQLite store is unavailable (${code}).`, { cause: error, reason });
  }
  // better-sqlite3 throws a plain TypeError once the handle is closed.
  if (db && !db.open)
    return new StoreUnavailableError("The SQLite store is closed.", { cause: error, reason: "closed" });
  return error;
}
