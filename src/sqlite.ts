/**
 * "stint/sqlite": the embedded default, one SQLite file (better-sqlite3, WAL).
 *
 * @example
 * ```ts
 * import { createStint } from "stint";
 * import { sqliteStore } from "stint/sqlite";
 * const stint = createStint({ store: sqliteStore({ path: "./data/stint.db" }), secret });
 * ```
 */
export { type SqliteStoreOptions, sqliteStore } from "./stores/sqlite.js";
