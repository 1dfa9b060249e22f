import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createPasswordHasher } from "../../../src/auth/password.js";
import type { UserStore } from "../../../src/auth/users.js";
import { foldAsciiCase, memoryUserStore, sqliteUserStore } from "../../../src/auth/users.js";
import type { Clock } from "../../../src/core/clock.js";
import { StoreUnavailableError, UsernameTakenError } from "../../../src/core/errors.js";

const HASH = "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhcw";
const CREATED_AT = Date.UTC(2025, 0, 1, 12);
const clock: Clock = { now: () => CREATED_AT };

/** The behaviour both stores share, run once per store. */
function describeUserStore(name: string, makeStore: () => UserStore) {
  describe(`${name}: the UserStore contract`, () => {
    it("creates a record with a u_ id, the hash and the creation time", async () => {
      const users = makeStore();
      const alice = await users.create("Alice", HASH);
      expect(alice).toEqual({
        id: expect.stringMatching(/^u_[A-Za-z0-9_-]{22}$/),
        username: "Alice",
        passwordHash: HASH,
        createdAt: CREATED_AT,
      });
      expect(await users.findById(alice.id)).toEqual(alice);
    });

    it("gives every user a different id", async () => {
      const users = makeStore();
      const a = await users.create("user-a", HASH);
      const b = await users.create("user-b", HASH);
      expect(a.id).not.toBe(b.id);
    });

    it("finds by username ignoring ASCII case, keeping the registered spelling", async () => {
      const users = makeStore();
      const alice = await users.create("Alice.Smith", HASH);
      expect(await users.findByUsername("alice.smith")).toEqual(alice);
      expect(await users.findByUsername("ALICE.SMITH")).toEqual(alice);
      expect(await users.findByUsername("alice_smith")).toBeNull();
    });

    it("refuses a username taken in any letter case", async () => {
      const users = makeStore();
      await users.create("alice", HASH);
      await expect(users.create("alice", HASH)).rejects.toBeInstanceOf(UsernameTakenError);
      await expect(users.create("ALICE", HASH)).rejects.toBeInstanceOf(UsernameTakenError);
      expect(await users.count()).toBe(1);
    });

    it("answers null for unknown users and ids", async () => {
      const users = makeStore();
      expect(await users.findByUsername("nobody")).toBeNull();
      expect(await users.findById("u_nope")).toBeNull();
      expect(await users.findByUsername("__proto__")).toBeNull();
      expect(await users.findById("__proto__")).toBeNull();
    });

    it("counts users", async () => {
      const users = makeStore();
      expect(await users.count()).toBe(0);
      await users.create("one", HASH);
      await users.create("two", HASH);
      expect(await users.count()).toBe(2);
    });

    it("refuses to store anything that is not a PHC hash, such as a plaintext password", async () => {
      const users = makeStore();
      await expect(users.create("alice", "hunter2hunter2")).rejects.toThrow(/PHC hash string/);
      await expect(users.create("alice", "")).rejects.toThrow(/PHC hash string/);
      expect(await users.count()).toBe(0);
    });

    it("replaces a password hash (setPasswordHash), refusing anything but a PHC hash", async () => {
      const store = makeStore();
      const created = await store.create("alice", "$2b$04$abcdefghijklmnopqrstuu5vB4Pn3yLqgR0VxqDmtUg3xgCjjQGGG");
      await store.setPasswordHash?.(created.id, "$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA");
      expect((await store.findById(created.id))?.passwordHash).toBe("$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA");
      await expect(store.setPasswordHash?.(created.id, "plain password")).rejects.toThrow(TypeError);
      expect((await store.findByUsername("ALICE"))?.passwordHash).toMatch(/^\$argon2id\$/);
    });

    it("deletes an account (a sign-up taken back): gone by id and name, and the name is free again", async () => {
      const users = makeStore();
      const alice = await users.create("Alice", HASH);
      const bob = await users.create("bob", HASH);
      expect(await users.delete?.(alice.id)).toBe(true);
      expect(await users.delete?.(alice.id)).toBe(false);
      expect(await users.findById(alice.id)).toBeNull();
      expect(await users.findByUsername("alice")).toBeNull();
      expect(await users.count()).toBe(1);
      expect((await users.create("ALICE", HASH)).id).not.toBe(alice.id);
      expect(await users.findById(bob.id)).toEqual(bob);
    });

    it("hands out copies: changing a returned record changes nothing stored", async () => {
      const users = makeStore();
      const alice = await users.create("alice", HASH);
      alice.passwordHash = "tampered";
      const found = await users.findById(alice.id);
      expect(found?.passwordHash).toBe(HASH);
      found!.username = "mallory";
      expect((await users.findById(alice.id))?.username).toBe("alice");
    });
  });
}

describeUserStore("memoryUserStore", () => memoryUserStore({ clock }));
describeUserStore("sqliteUserStore", () => sqliteUserStore({ database: new Database(":memory:"), clock }));

describe("foldAsciiCase", () => {
  it("lower-cases A–Z only, as SQLite's NOCASE does", () => {
    expect(foldAsciiCase("AbC-xYz_09.")).toBe("abc-xyz_09.");
    expect(foldAsciiCase("ÄÖÜ")).toBe("ÄÖÜ");
  });
});

describe("sqliteUserStore on a file", () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "stint-users-"));
    file = join(dir, "stint.db");
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps users across closing and reopening the file", async () => {
    const first = new Database(file);
    const alice = await sqliteUserStore({ database: first, clock }).create("alice", HASH);
    first.close();

    const second = new Database(file);
    const users = sqliteUserStore({ database: second });
    expect(await users.findByUsername("ALICE")).toEqual(alice);
    expect(await users.count()).toBe(1);
    await expect(users.create("Alice", HASH)).rejects.toBeInstanceOf(UsernameTakenError);
    second.close();
  });

  it("lives beside the session tables in the same file and leaves them alone", async () => {
    const database = new Database(file);
    database.exec("CREATE TABLE stint_sessions (id TEXT PRIMARY KEY); INSERT INTO stint_sessions VALUES ('s1');");
    const users = sqliteUserStore({ database });
    sqliteUserStore({ database }); // a second store on the same handle: the schema is idempotent
    await users.create("alice", HASH);
    expect(database.prepare("SELECT COUNT(*) AS n FROM stint_sessions").get()).toEqual({ n: 1 });
    const index = database
      .prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'stint_users'")
      .pluck()
      .all();
    expect(index.join("\n")).toMatch(/CREATE UNIQUE INDEX .*\(username COLLATE NOCASE\)/);
    database.close();
  });

  it("never holds a plaintext password: the raw file bytes do not contain it", async () => {
    const database = new Database(file);
    database.pragma("journal_mode = WAL");
    const hasher = createPasswordHasher({ memoryCost: 1024, timeCost: 1 });
    const password = "Plaintext-Canary-7f3a9c";
    const users = sqliteUserStore({ database });
    await users.create("canary_user", await hasher.hash(password));
    const user = await users.findByUsername("canary_user");
    expect(await hasher.verify(user!.passwordHash, password)).toBe(true);

    const rawBytes = () =>
      Buffer.concat(
        [file, `${file}-wal`, `${file}-journal`].filter((path) => existsSync(path)).map((path) => readFileSync(path)),
      );
    const needles = [password, password.toLowerCase(), Buffer.from(password, "utf16le").toString("latin1")];
    const whileOpen = rawBytes();
    expect(whileOpen.includes("canary_user")).toBe(true); // the bytes really hold the row
    for (const needle of needles) expect(whileOpen.includes(Buffer.from(needle, "latin1"))).toBe(false);

    database.close();
    const afterClose = readFileSync(file);
    expect(afterClose.includes("canary_user")).toBe(true);
    expect(afterClose.includes(user!.passwordHash)).toBe(true);
    for (const needle of needles) expect(afterClose.includes(Buffer.from(needle, "latin1"))).toBe(false);
  });

  it("prepares its statements once, not per call", async () => {
    const database = new Database(file);
    let prepared = 0;
    const counting = {
      exec: (sql: string) => database.exec(sql),
      prepare: (sql: string) => {
        prepared += 1;
        return database.prepare(sql);
      },
    };
    const users = sqliteUserStore({ database: counting });
    const before = prepared;
    const alice = await users.create("alice", HASH);
    for (let i = 0; i < 5; i += 1) {
      await users.findByUsername("alice");
      await users.findById(alice.id);
      await users.count();
    }
    expect(prepared).toBe(before);
    database.close();
  });

  it("turns driver errors into StoreUnavailableError without leaking the driver type", async () => {
    const database = new Database(file);
    const users = sqliteUserStore({ database });
    database.close();
    await expect(users.findByUsername("alice")).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(users.findById("u_x")).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(users.count()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(users.create("alice", HASH)).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
