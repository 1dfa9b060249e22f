import type BetterSqlite3 from "better-sqlite3";
import { tightenIfPresent } from "./private-file.js";

/** What is used of a `bun:sqlite` statement. */
interface BunStatement {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  values(...params: unknown[]): unknown[][];
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
}

/** What is used of a `bun:sqlite` Database (opened with `strict: true`). */
export interface BunSqliteDatabase {
  readonly filename: string;
  prepare(sql: string): BunStatement;
  exec(sql: string): unknown;
  transaction<F extends (...args: never[]) => unknown>(fn: F): F & { immediate: F; deferred: F; exclusive: F };
  close(): void;
}

/**
 * Bun's built-in SQLite (`bun:sqlite`) as the SQLite store takes a database: the part of
 * better-sqlite3's API the store uses (prepared statements in object, raw and pluck modes,
 * transactions, pragmas), over Bun's own. Open the database with `strict: true`, so named
 * parameters bind without their prefix as they do in better-sqlite3. The file and its
 * `-wal`/`-shm` are made private (0600), as `sqliteStore({ path })` makes them.
 *
 * @example
 * ```ts
 * import { Database } from "bun:sqlite";
 * import { fromBunSqlite, sqliteStore } from "stint/sqlite";
 * const database = fromBunSqlite(new Database("./data/stint.db", { create: true, strict: true }));
 * const stint = createStint({ store: sqliteStore({ database }), secret });
 * ```
 */
export function fromBunSqlite(db: BunSqliteDatabase): BetterSqlite3.Database {
  let open = true;
  const file = db.filename;
  const tighten = () => {
    if (!file || file === ":memory:" || file.startsWith("file:")) return;
    for (const path of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) tightenIfPresent(path);
  };
  tighten();
  const database = {
    get open() {
      return open;
    },
    get name() {
      return file;
    },
    prepare: (sql: string) => new Statement(db.prepare(sql)),
    exec(sql: string) {
      db.exec(sql);
      return database;
    },
    transaction: <F extends (...args: never[]) => unknown>(fn: F) => db.transaction(fn),
    pragma(source: string, options: { simple?: boolean } = {}) {
      const statement = db.prepare(`PRAGMA ${source}`);
      const result = options.simple ? statement.values()[0]?.[0] : statement.all();
      // WAL mode creates the -wal and -shm files: private too.
      if (/^journal_mode/i.test(source)) tighten();
      return result;
    },
    close() {
      open = false;
      db.close();
      return database;
    },
  };
  // The subset the store uses, typed as the driver it stands in for.
  return database as unknown as BetterSqlite3.Database;
}

/** better-sqlite3's statement modes over a Bun statement: objects, raw rows, or one column. */
class Statement {
  #mode: "objects" | "raw" | "pluck" = "objects";
  readonly #inner: BunStatement;
  constructor(inner: BunStatement) {
    this.#inner = inner;
  }
  raw(on = true): this {
    this.#mode = on ? "raw" : "objects";
    return this;
  }
  pluck(on = true): this {
    this.#mode = on ? "pluck" : "objects";
    return this;
  }
  get(...params: unknown[]): unknown {
    if (this.#mode === "objects") return this.#inner.get(...params) ?? undefined;
    const row = this.#inner.values(...params)[0];
    return row === undefined ? undefined : this.#mode === "raw" ? row : row[0];
  }
  all(...params: unknown[]): unknown[] {
    if (this.#mode === "objects") return this.#inner.all(...params);
    const rows = this.#inner.values(...params);
    return this.#mode === "raw" ? rows : rows.map((row) => row[0]);
  }
  run(...params: unknown[]) {
    return this.#inner.run(...params);
  }
}
