import type BetterSqlite3 from "better-sqlite3";
import { StintError, StoreConflictError, StoreUnavailableError } from "../core/errors.js";
import { changesData, changesState, parseObject } from "./patch-keys.js";
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

  const patchTx = db.transaction((id: string, patch: SessionPatch): PatchResult => {
    const data = changesData(patch);
    const state = changesState(patch);
    const row = sql.patch.get({
      id,
      now: patch.now,
      ifVersion: patch.ifVersion ?? null,
      lastSeenAt: patch.lastSeenAt ?? null,
      expiresAt: patch.expiresAt ?? null,
      bump: data || state ? 1 : 0,
      dataChanged: data ? 1 : 0,
      dataUnset: JSON.stringify(patch.dataUnset ?? []),
      dataSet: JSON.stringify(patch.dataSet ?? {}),
      stateChanged: state ? 1 : 0,
      stateUnset: JSON.stringify(patch.stateUnset ?? []),
      stateSet: JSON.stringify(patch.stateSet ?? {}),
    }) as Row | undefined;
    if (!row) return { ok: false, reason: sql.get.get(id, patch.now) ? "conflict" : "not_found" };
    // row.state is the stored JSON text, byte for byte what JSON.stringify gives for it.
    if (patch.maxStateBytes !== undefined && Buffer.byteLength(row[11]) > patch.maxStateBytes) {
      throw new StateTooLarge();
    }
    return { ok: true, record: decode(row) };
  });

  const read = (id: string, now: number): SessionRecord | null => {
    const row = guard(() => sql.get.get(id, now), db) as Row | undefined;
    return row ? decode(row) : null;
  };

  return {
    kind: "sqlite",

    async create(record, options) {
      return guard(() => createTx.immediate(record, options), db);
    },

    async get(id, now) {
      return read(id, now);
    },

    // better-sqlite3 is synchronous: every read is answered without a promise.
    peek: (id, now) => read(id, now),

    async patch(id, patch) {
      try {
        return guard(() => patchTx.immediate(id, patch), db);
      } catch (error) {
        if (error instanceof StateTooLarge) return { ok: false, reason: "too_large" };
        throw error;
      }
    },

    async delete(id) {
      return guard(() => sql.delete.run(id), db).changes > 0;
    },

    async listByUser(userId, now) {
      return (guard(() => sql.listByUser.all(userId, now), db) as Row[]).map(decode);
    },

    async deleteByUser(userId, options = {}) {
      const rows = guard(() => sql.deleteByUser.all(userId, options.except ?? null), db) as Array<{ id: string }>;
      return rows.map((row) => row.id);
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

    async health() {
      const started = performance.now();
      try {
        guard(() => sql.ping.get(), db);
        return { ok: true, latencyMs: performance.now() - started };
      } catch (error) {
        return { ok: false, latencyMs: performance.now() - started, detail: (error as Error).message };
      }
    },

    async close() {
      if (!database && db.open) db.close();
    },
  };
}

/** Thrown inside the patch transaction so that better-sqlite3 rolls it back. */
class StateTooLarge extends Error {}

/**
 * Each key of `set` replaces the old value whole, after the keys of `unset` are removed.
 * `doc -> fullkey` copies a member's JSON text exactly as stored, so true/false/null stay
 * JSON (json_each's `value` column would give 1/0/NULL), strings stay strings and numbers
 * keep their digits; `fullkey` is quoted by SQLite itself, so keys like `a.b`, `$` or `"x"`
 * never become paths. json_patch is not used: it is RFC 7396 merge-patch, which merges
 * nested objects and treats null as "delete".
 */
function merge(column: string, unset: string, set: string): string {
  return `(SELECT json_group_object(key, doc -> fullkey) FROM (
    SELECT key, fullkey, ${column} AS doc FROM json_each(${column})
      WHERE key NOT IN (SELECT value FROM json_each(${unset})) AND key NOT IN (SELECT key FROM json_each(${set}))
    UNION ALL
    SELECT key, fullkey, ${set} AS doc FROM json_each(${set})
  ))`;
}

function statements(db: BetterSqlite3.Database, t: string) {
  const prepare = (source: string) => guard(() => db.prepare(source), db);
  return {
    insert: prepare(`INSERT INTO ${t} (id, secret_hash, user_id, created_at, last_seen_at, expires_at,
        absolute_expires_at, authenticated_at, persistent, version, data, state, updated_at, meta)
      VALUES (:id, :secretHash, :userId, :createdAt, :lastSeenAt, :expiresAt,
        :absoluteExpiresAt, :authenticatedAt, :persistent, :version, :data, :state, :updatedAt, :meta)`),
    get: prepare(`SELECT ${COLUMNS} FROM ${t} WHERE id = ? AND expires_at > ?`).raw(true),
    patch: prepare(`UPDATE ${t} SET
        data = CASE WHEN :dataChanged THEN ${merge(`${t}.data`, ":dataUnset", ":dataSet")} ELSE data END,
        state = CASE WHEN :stateChanged THEN ${merge(`${t}.state`, ":stateUnset", ":stateSet")} ELSE state END,
        version = version + :bump,
        updated_at = CASE WHEN :bump THEN :now ELSE updated_at END,
        last_seen_at = max(last_seen_at, coalesce(:lastSeenAt, last_seen_at)),
        expires_at = coalesce(:expiresAt, expires_at)
      WHERE id = :id AND expires_at > :now AND (:ifVersion IS NULL OR version = :ifVersion)
      RETURNING ${COLUMNS}`).raw(true),
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
    data: parseObject(row[10]),
    state: parseObject(row[11]),
    updatedAt: row[12],
    meta: JSON.parse(row[13]),
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
  if (error instanceof StintError || error instanceof StoreConflictError || error instanceof StateTooLarge) {
    return error;
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "SQLITE_CONSTRAINT_PRIMARYKEY") return new StoreConflictError();
  if (typeof code === "string" && UNAVAILABLE.test(code)) {
    return new StoreUnavailableError(`The SQLite store is unavailable (${code}).`, { cause: error });
  }
  // better-sqlite3 throws a plain TypeError once the handle is closed.
  if (db && !db.open) return new StoreUnavailableError("The SQLite store is closed.", { cause: error });
  return error;
}
