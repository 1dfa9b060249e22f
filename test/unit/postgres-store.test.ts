import pg from "pg";
import { postgresStore } from "stint/postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { StoreUnavailableError } from "../../src/core/errors.js";
import { POSTGRES_SCHEMA_VERSION } from "../../src/stores/postgres-schema.js";
import { makeRecord } from "../../src/testing.js";
import { type PostgresServer, startPostgres } from "../support/services.js";

// A server of this file's own: one test stops it.
describe.skipIf(!inject("databaseUrl"))("postgresStore on a real server", () => {
  let server: PostgresServer;
  let pool: pg.Pool;

  beforeAll(async () => {
    server = await startPostgres();
    pool = new pg.Pool({ connectionString: server.url, max: 4 });
    pool.on("error", () => {});
  });

  afterAll(async () => {
    await pool?.end();
    await server?.dispose();
  });

  it("creates the table once when several workers start together, and records the schema version", async () => {
    const stores = Array.from({ length: 4 }, () => postgresStore({ pool, table: "started_together" }));
    await Promise.all(stores.map((store) => store.count(Date.now())));
    const { rows } = await pool.query("SELECT version FROM stint_schema WHERE table_name = $1", ["started_together"]);
    expect(rows).toEqual([{ version: POSTGRES_SCHEMA_VERSION }]);
  });

  it("keeps U+0000 and the escape character U+E000 in keys and values, also through patch and unset", async () => {
    const store = postgresStore({ pool, table: "escapes" });
    const now = Date.now();
    const strange = Object.fromEntries([
      ["a\u0000b", "\u0000"],
      ["\uE000", "\uE0000\uE000\uE000\\u0000\\\u0000"],
      ["plain", "\\\\u0000"],
    ]);
    const record = makeRecord({ data: strange, state: strange });
    await store.create(record, { now });
    expect(await store.get(record.id, now)).toStrictEqual(record);
    const result = await store.patch(record.id, {
      stateUnset: ["a\u0000b"],
      stateSet: { "\u0000": "x\uE000" },
      maxStateBytes: 1_000,
      now,
    });
    const state = { "\uE000": strange["\uE000"], plain: strange.plain, "\u0000": "x\uE000" };
    expect(result.ok && result.record.state).toStrictEqual(state);
    expect((await store.get(record.id, now))?.state).toStrictEqual(state);
    // The data column stays plain jsonb: queryable from SQL.
    const { rows } = await pool.query(`SELECT data->>'plain' AS plain FROM escapes WHERE id = $1`, [record.id]);
    expect(rows).toEqual([{ plain: "\\\\u0000" }]);
  });

  it("answers ids and user ids PostgreSQL cannot store (U+0000) as unknown", async () => {
    const store = postgresStore({ pool, table: "escapes" });
    const now = Date.now();
    expect(await store.get("a\u0000b", now)).toBeNull();
    expect(await store.patch("a\u0000b", { dataSet: { a: 1 }, now })).toEqual({ ok: false, reason: "not_found" });
    expect(await store.delete("a\u0000b")).toBe(false);
    expect(await store.listByUser("u\u0000", now)).toEqual([]);
    expect(await store.deleteByUser("u\u0000")).toEqual([]);
  });

  it("a store given a URL fails fast while PostgreSQL is down and works again after a restart", async () => {
    const store = postgresStore({ url: server.url, table: "outage", timeoutMs: 1_000 });
    try {
      const now = Date.now();
      const record = makeRecord({ userId: "carol", data: { kept: true } });
      await store.create(record, { now });

      await server.stop();
      const started = Date.now();
      await expect(store.get(record.id, now)).rejects.toBeInstanceOf(StoreUnavailableError);
      // Failed, not hung until the server came back (generous: a loaded machine is slow).
      expect(Date.now() - started).toBeLessThan(8_000);
      expect((await store.health()).ok).toBe(false);

      await server.start();
      expect(await store.get(record.id, now)).toStrictEqual(record);
      expect((await store.health()).ok).toBe(true);
    } finally {
      await store.close();
    }
  });
});
