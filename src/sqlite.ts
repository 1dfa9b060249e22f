/**
 * "stint/sqlite": the embedded default, one SQLite file (better-sqlite3, WAL; on Bun, its
 * built-in `bun:sqlite` through `fromBunSqlite`).
 *
 * @example
 * ```ts
 * import { createStint } from "stint";
 * import { sqliteStore } from "stint/sqlite";
 * const stint = createStint({ store: sqliteStore({ path: "./data/stint.db" }), secret });
 * ```
 */

export { type BunSqliteDatabase, fromBunSqlite } from "./stores/bun-sqlite.js";
export { type SqliteStoreOptions, sqliteStore } from "./stores/sqlite.js";
