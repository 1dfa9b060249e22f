import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { StoreConflictError, StoreUnavailableError } from "../../src/core/errors.js";
import { generateToken, hashSecret } from "../../src/core/token.js";
import { sqliteStore } from "../../src/stores/sqlite.js";
import { SCHEMA_VERSION } from "../../src/stores/sqlite-schema.js";
import { makeRecord } from "../../src/testing.js";

const directory = mkdtempSync(join(tmpdir(), "stint-sqlite-unit-"));
let files = 0;
/** A path in a directory of its own; `made` creates that directory first. */
function freshPath({ made = false } = {}): string {
  const folder = join(directory, `unit-${++files}`);
  if (made) mkdirSync(folder);
  return join(folder, "sessions.db");
}
const now = Date.now();

afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe("sqliteStore", () => {
  it("creates the directory and sets WAL mode and the schema version", async () => {
    const path = freshPath();
    const store = sqliteStore({ path });
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(raw.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(1);
    raw.close();
    await store.close();
  });

  it("keeps data across closing and reopening the file", async () => {
    const path = freshPath();
    const first = sqliteStore({ path });
    const record = makeRecord({ userId: "alice", data: { cart: ["apple"] } });
    await first.create(record, { now });
    const patched = await first.patch(record.id, { stateSet: { theme: "dark" }, now });
    await first.close();
    const second = sqliteStore({ path });
    expect(await second.get(record.id, now)).toStrictEqual(patched.ok ? patched.record : null);
    expect(await second.listByUser("alice", now)).toHaveLength(1);
    await second.close();
  });

  it("never writes the token's secret to disk, only its hash", async () => {
    const path = freshPath();
    const store = sqliteStore({ path });
    const token = generateToken();
    const record = makeRecord({ id: token.id, secretHash: hashSecret(token.secret) });
    await store.create(record, { now });
    // The -wal file holds the commit while the store is open; close() checkpoints it.
    const bytesOnDisk = () =>
      Buffer.concat(readdirSync(dirname(path)).map((file) => readFileSync(join(dirname(path), file))));
    const whileOpen = bytesOnDisk();
    await store.close();
    for (const bytes of [whileOpen, bytesOnDisk()]) {
      expect(bytes.includes(record.secretHash)).toBe(true);
      expect(bytes.includes(token.secret)).toBe(false);
    }
  });

  it("shares one file between two stores, as workers do, without losing patches", async () => {
    const path = freshPath();
    const [left, right] = [sqliteStore({ path }), sqliteStore({ path })];
    const record = makeRecord();
    await left.create(record, { now });
    await Promise.all([
      left.patch(record.id, { dataSet: { left: true }, now }),
      right.patch(record.id, { dataSet: { right: false }, now }),
    ]);
    expect((await left.get(record.id, now))?.data).toEqual({ left: true, right: false });
    await expect(right.create(record, { now })).rejects.toBeInstanceOf(StoreConflictError);
    await Promise.all([left.close(), right.close()]);
  });

  it("keeps two tables in one file apart", async () => {
    const path = freshPath();
    const [a, b] = [sqliteStore({ path, table: "sessions_a" }), sqliteStore({ path, table: "sessions_b" })];
    const record = makeRecord();
    await a.create(record, { now });
    expect(await b.get(record.id, now)).toBeNull();
    await b.create(record, { now });
    await Promise.all([a.close(), b.close()]);
  });

  it("uses a given handle and leaves closing it to its owner", async () => {
    const database = new Database(":memory:");
    const store = sqliteStore({ database });
    await store.create(makeRecord(), { now });
    await store.close();
    expect(database.open).toBe(true);
    expect(database.prepare("SELECT count(*) FROM stint_sessions").pluck().get()).toBe(1);
    database.close();
  });

  it("fails closed with StoreUnavailableError when the database is locked, closed or unreachable", async () => {
    const path = freshPath({ made: true });
    const database = new Database(path);
    const store = sqliteStore({ database });
    database.pragma("busy_timeout = 50");
    const other = new Database(path);
    other.exec("BEGIN IMMEDIATE");
    await expect(store.create(makeRecord(), { now })).rejects.toBeInstanceOf(StoreUnavailableError);
    other.exec("ROLLBACK");
    other.close();
    database.close();
    await expect(store.get("any", now)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await store.health()).toMatchObject({ ok: false });
    expect(() => sqliteStore({ path: directory })).toThrow(StoreUnavailableError);
  });

  it("refuses a file written by a newer schema, and unsafe table names", () => {
    const path = freshPath({ made: true });
    const raw = new Database(path);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => sqliteStore({ path })).toThrow(/schema version/);
    expect(() => sqliteStore({ path: ":memory:", table: 'x"; DROP TABLE y; --' })).toThrow(TypeError);
    expect(() => sqliteStore({})).toThrow(TypeError);
  });
});

describe("sqliteStore's cache", () => {
  it("answers again from the file once another connection (another process, the CLI) changed it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stint-sqlite-cache-"));
    const path = join(dir, "stint.db");
    const server = sqliteStore({ path });
    const other = sqliteStore({ path });
    try {
      const now = Date.now();
      const record = makeRecord({ userId: "carol", state: { theme: "light" } });
      await server.create(record, { now });
      expect(await server.get(record.id, now)).toStrictEqual(record);
      expect(await server.get(record.id, now)).toStrictEqual(record);
      expect(server.cache?.stats().hits).toBeGreaterThan(0);

      const patched = await other.patch(record.id, { stateSet: { theme: "dark" }, now });
      expect(patched.ok).toBe(true);
      expect((await server.get(record.id, now))?.state).toEqual({ theme: "dark" });

      expect(await other.deleteByUser("carol")).toEqual([record.id]);
      expect(server.peek?.(record.id, now)).toBeNull();
      expect(await server.get(record.id, now)).toBeNull();
    } finally {
      await Promise.all([server.close(), other.close()]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("cache: false reads the file every time", async () => {
    const store = sqliteStore({ path: ":memory:", cache: false });
    const record = makeRecord();
    await store.create(record, { now: Date.now() });
    await store.get(record.id, Date.now());
    expect(store.cache).toBeUndefined();
    await store.close();
  });
});
