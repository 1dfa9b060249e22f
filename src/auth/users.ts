import { randomBytes } from "node:crypto";
import type { Clock } from "../core/clock.js";
import { systemClock } from "../core/clock.js";
import { StoreUnavailableError, UsernameTakenError } from "../core/errors.js";

/** A demo-app account. Holds a password hash (a PHC string), never the password. */
export interface UserRecord {
  /** `u_` followed by 128 random bits, base64url. */
  id: string;
  /** As registered; lookups ignore ASCII case. */
  username: string;
  passwordHash: string;
  /** Epoch milliseconds. */
  createdAt: number;
}

/**
 * Where accounts live. Kept apart from the session `Store` on purpose (STYLE.md principle
 * 1): sessions know a user only by id.
 */
export interface UserStore {
  /** Rejects with `UsernameTakenError` if the username exists in any letter case. */
  create(username: string, passwordHash: string): Promise<UserRecord>;
  /** Case-insensitive (ASCII), like the unique index. */
  findByUsername(username: string): Promise<UserRecord | null>;
  findById(id: string): Promise<UserRecord | null>;
  count(): Promise<number>;
  /**
   * Replaces an account's password hash: the accounts re-hash a bcrypt or outdated hash with
   * argon2id at the next successful sign-in when the store offers this.
   */
  setPasswordHash?(id: string, passwordHash: string): Promise<void>;
  /**
   * Removes an account; true when there was one. The accounts take back a sign-up whose first
   * session could not be made (the session store was down), so a 503 leaves no account behind.
   */
  delete?(id: string): Promise<boolean>;
}

/** What `sqliteUserStore` calls on a statement; better-sqlite3's `Statement` fits. */
export interface SqliteUserStatement {
  run(...params: unknown[]): unknown;
  get(...params: unknown[]): unknown;
}

/** What `sqliteUserStore` calls on the database; better-sqlite3's `Database` fits. */
export interface SqliteUserDatabase {
  exec(source: string): unknown;
  prepare(source: string): SqliteUserStatement;
}

export interface SqliteUserStoreOptions {
  /** The handle the session store uses, so users and sessions share one file. */
  database: SqliteUserDatabase;
  clock?: Clock;
}

export interface MemoryUserStoreOptions {
  clock?: Clock;
}

// NOCASE folds ASCII only, which is all a valid username holds (API.md: [A-Za-z0-9_.-]).
const SCHEMA = `
CREATE TABLE IF NOT EXISTS stint_users (
  id TEXT PRIMARY KEY NOT NULL,
  username TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX IF NOT EXISTS stint_users_username ON stint_users (username COLLATE NOCASE);
`;

interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  created_at: number;
}

/**
 * Keeps accounts in a `stint_users` table of an open SQLite database (better-sqlite3),
 * normally the same file as the sessions. Creates the table and its case-insensitive
 * unique index if they are missing, and prepares its statements once.
 *
 * @example
 * ```ts
 * import Database from "better-sqlite3";
 * const database = new Database("./data/stint.db");
 * const users = sqliteUserStore({ database });
 * const alice = await users.create("alice", await hashPassword(password));
 * ```
 */
export function sqliteUserStore(options: SqliteUserStoreOptions): UserStore {
  const { database, clock = systemClock } = options;
  database.exec(SCHEMA);
  const insert = database.prepare(
    "INSERT INTO stint_users (id, username, password_hash, created_at) VALUES (?, ?, ?, ?)",
  );
  // `COLLATE NOCASE` here matches the index's collation, so SQLite uses the index.
  const byUsername = database.prepare("SELECT * FROM stint_users WHERE username = ? COLLATE NOCASE");
  const byId = database.prepare("SELECT * FROM stint_users WHERE id = ?");
  const countAll = database.prepare("SELECT COUNT(*) AS n FROM stint_users");
  const updateHash = database.prepare("UPDATE stint_users SET password_hash = ? WHERE id = ?");
  const remove = database.prepare("DELETE FROM stint_users WHERE id = ?");

  return {
    async create(username, passwordHash) {
      requirePasswordHash(passwordHash);
      const record: UserRecord = { id: newUserId(), username, passwordHash, createdAt: clock.now() };
      try {
        insert.run(record.id, record.username, record.passwordHash, record.createdAt);
      } catch (error) {
        if (isSqliteCode(error, "SQLITE_CONSTRAINT_UNIQUE")) throw new UsernameTakenError();
        throw unavailable(error);
      }
      return record;
    },
    async findByUsername(username) {
      return toRecord(read(() => byUsername.get(username)));
    },
    async findById(id) {
      return toRecord(read(() => byId.get(id)));
    },
    async count() {
      return (read(() => countAll.get()) as { n: number }).n;
    },
    async setPasswordHash(id, passwordHash) {
      requirePasswordHash(passwordHash);
      read(() => updateHash.run(passwordHash, id));
    },
    async delete(id) {
      return (read(() => remove.run(id)) as { changes: number }).changes > 0;
    },
  };
}

/**
 * Keeps accounts in memory, for tests and throwaway demos.
 *
 * @example
 * ```ts
 * const accounts = createAccounts({ users: memoryUserStore() });
 * ```
 */
export function memoryUserStore(options: MemoryUserStoreOptions = {}): UserStore {
  const { clock = systemClock } = options;
  const byId = new Map<string, UserRecord>();
  const idByUsername = new Map<string, string>();
  // Copies in and out, so a caller mutating a record cannot change what is stored.
  const copy = (record: UserRecord | undefined): UserRecord | null => (record ? { ...record } : null);

  return {
    async create(username, passwordHash) {
      requirePasswordHash(passwordHash);
      const key = foldAsciiCase(username);
      if (idByUsername.has(key)) throw new UsernameTakenError();
      const record: UserRecord = { id: newUserId(), username, passwordHash, createdAt: clock.now() };
      byId.set(record.id, record);
      idByUsername.set(key, record.id);
      return { ...record };
    },
    async findByUsername(username) {
      const id = idByUsername.get(foldAsciiCase(username));
      return copy(id === undefined ? undefined : byId.get(id));
    },
    async findById(id) {
      return copy(byId.get(id));
    },
    async count() {
      return byId.size;
    },
    async setPasswordHash(id, passwordHash) {
      requirePasswordHash(passwordHash);
      const record = byId.get(id);
      if (record) record.passwordHash = passwordHash;
    },
    async delete(id) {
      const record = byId.get(id);
      if (!record) return false;
      byId.delete(id);
      idByUsername.delete(foldAsciiCase(record.username));
      return true;
    },
  };
}

/**
 * Lower-cases A–Z only, exactly as SQLite's NOCASE does, so both stores agree on which
 * usernames collide. Also the key the login limiter counts by, so "Alice" and "alice"
 * share one budget.
 */
export function foldAsciiCase(username: string): string {
  return username.replace(/[A-Z]/g, (letter) => letter.toLowerCase());
}

function newUserId(): string {
  return `u_${randomBytes(16).toString("base64url")}`;
}

/**
 * A PHC string starts with `$<algorithm>$`. Refusing anything else stops a caller from
 * storing a plaintext password by mistake (ASVS 4.0.3 2.4.1).
 */
function requirePasswordHash(passwordHash: string): void {
  if (typeof passwordHash !== "string" || !/^\$[a-z0-9-]+\$/.test(passwordHash)) {
    throw new TypeError("passwordHash must be a PHC hash string (such as $argon2id$…), never a plaintext password.");
  }
}

function read(query: () => unknown): unknown {
  try {
    return query();
  } catch (error) {
    throw unavailable(error);
  }
}

function toRecord(row: unknown): UserRecord | null {
  if (row === undefined || row === null) return null;
  const { id, username, password_hash, created_at } = row as UserRow;
  return { id, username, passwordHash: password_hash, createdAt: Number(created_at) };
}

function isSqliteCode(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === code;
}

// Driver errors never leave the store as driver types (STYLE.md principle 9).
function unavailable(error: unknown): StoreUnavailableError {
  return new StoreUnavailableError("The user store is unavailable.", { cause: error });
}
