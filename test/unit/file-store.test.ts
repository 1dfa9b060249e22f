import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateToken, hashSecret } from "../../src/core/token.js";
import { fileStore } from "../../src/stores/file.js";
import { makeRecord } from "../../src/testing.js";

const root = mkdtempSync(join(tmpdir(), "stint-file-unit-"));
let dirs = 0;
const fresh = () => join(root, `store-${++dirs}`);
const now = Date.now();

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Every file under `dir`, with its mode. */
function walk(dir: string): { path: string; mode: number; directory: boolean }[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).map((name) => {
    const info = statSync(join(dir, name));
    return { path: join(dir, name), mode: info.mode & 0o777, directory: info.isDirectory() };
  });
}

describe("fileStore", () => {
  it("keeps directories 0700 and files 0600, and never writes the token's secret", async () => {
    const directory = fresh();
    const store = fileStore({ directory });
    const token = generateToken();
    const record = makeRecord({ id: token.id, secretHash: hashSecret(token.secret), userId: "alice" });
    await store.create(record, { now });
    await store.patch(record.id, { stateSet: { theme: "dark" }, now });
    expect(statSync(directory).mode & 0o777).toBe(0o700);
    const entries = walk(directory);
    expect(entries.filter((entry) => !entry.directory)).toHaveLength(2);
    for (const entry of entries) expect(entry.mode).toBe(entry.directory ? 0o700 : 0o600);
    const bytes = Buffer.concat(entries.filter((e) => !e.directory).map((e) => readFileSync(e.path)));
    expect(bytes.includes(token.secret)).toBe(false);
    expect(bytes.includes(record.secretHash)).toBe(true);
  });

  it("refuses a directory other users can enter", () => {
    const directory = fresh();
    mkdirSync(directory, { mode: 0o755 });
    expect(() => fileStore({ directory })).toThrow(/chmod 700/);
  });

  it("keeps sessions across reopening, with the file's mtime at expiresAt", async () => {
    const directory = fresh();
    const record = makeRecord({ userId: "bob", data: { cart: ["apple"] } });
    await fileStore({ directory }).create(record, { now });
    const reopened = fileStore({ directory });
    expect(await reopened.get(record.id, now)).toStrictEqual(record);
    expect(await reopened.listByUser("bob", now)).toStrictEqual([record]);
    const [file] = walk(join(directory, "sessions"));
    expect(Math.round(statSync(file?.path ?? "").mtimeMs)).toBe(record.expiresAt);
  });

  it("answers forged or oversized ids as unknown instead of failing", async () => {
    const store = fileStore({ directory: fresh() });
    for (const id of ["../../etc/passwd", "x".repeat(10_000), "", "\u0000"]) {
      expect(await store.get(id, now)).toBeNull();
      expect(await store.patch(id, { dataSet: { a: 1 }, now })).toEqual({ ok: false, reason: "not_found" });
      expect(await store.delete(id)).toBe(false);
    }
  });
});
