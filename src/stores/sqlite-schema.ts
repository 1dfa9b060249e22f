import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import Database from "better-sqlite3";
import { StoreUnavailableError } from "../core/errors.js";
import { createPrivateFile, tightenIfPresent } from "./private-file.js";

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** How long a writer waits for another connection's lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * Each entry moves the schema one version up; `PRAGMA user_version` records how many have
 * run. Append new steps, never edit old ones: files written by earlier releases replay only
 * the steps they lack.
 */
const migrations: ReadonlyArray<(table: string) => string> = [
  (table) => `
    CREATE TABLE IF NOT EXISTS "${table}" (
      id TEXT PRIMARY KEY NOT NULL,
      secret_hash TEXT NOT NULL,
      user_id TEXT,
      created_at INTEGER NOT NULL,
      last_seen_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      absolute_expires_at INTEGER NOT NULL,
      authenticated_at INTEGER,
      persistent INTEGER NOT NULL,
      version INTEGER NOT NULL,
      data TEXT NOT NULL,
      state TEXT NOT NULL,
      updated_at INTEGER NOT NULL,
      meta TEXT NOT NULL
    );
    -- Partial: most sessions are anonymous, and "user_id = ?" implies the index's condition.
    CREATE INDEX IF NOT EXISTS "${table}_user" ON "${table}" (user_id, created_at) WHERE user_id IS NOT NULL;
    CREATE INDEX IF NOT EXISTS "${table}_expires" ON "${table}" (expires_at);
  `,
];

export const SCHEMA_VERSION = migrations.length;

/** A table name safe to splice into SQL (it cannot be a bound parameter). */
export function checkTableName(table: string): string {
  if (!TABLE_NAME.test(table)) {
    throw new TypeError(`sqliteStore: table must match ${TABLE_NAME}, got ${JSON.stringify(table)}.`);
  }
  return table;
}

/**
 * Opens the file, creating its directory (0700) and the file itself with mode 0600 wherever it
 * is: it holds password hashes and session records. SQLite gives the -wal and -shm files the
 * database file's mode, so they are 0600 too. An existing file readable by others is
 * tightened, as the secret is. ":memory:" and "file:" URIs are passed through.
 */
export function openDatabase(path: string): BetterSqlite3.Database {
  if (path !== ":memory:" && path !== "" && !path.startsWith("file:")) {
    const file = resolve(path);
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    createPrivateFile(file);
    for (const companion of [`${file}-wal`, `${file}-shm`, `${file}-journal`]) tightenIfPresent(companion);
  }
  return new Database(path, { timeout: BUSY_TIMEOUT_MS });
}

/**
 * WAL lets readers proceed while one writer commits; with it, synchronous=NORMAL is safe
 * against corruption and loses at most the last commits on power loss, not on a crash of
 * the process (https://www.sqlite.org/wal.html, https://www.sqlite.org/pragma.html#pragma_synchronous).
 */
export function prepareDatabase(db: BetterSqlite3.Database, table: string): void {
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.transaction(() => {
    const current = db.pragma("user_version", { simple: true }) as number;
    if (current > SCHEMA_VERSION) {
      throw new StoreUnavailableError(
        `The SQLite file has schema version ${current}; this Stint knows ${SCHEMA_VERSION}. Upgrade Stint.`,
      );
    }
    // user_version belongs to the file, not the table: a second Stint table in the same
    // file (another `table` option) starts from the first step.
    const exists = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(table);
    for (const step of migrations.slice(exists ? current : 0)) db.exec(step(table));
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
