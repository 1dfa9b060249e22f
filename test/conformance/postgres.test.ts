import { randomUUID } from "node:crypto";
import pg from "pg";
import { postgresStore } from "stint/postgres";
import { describeStore } from "stint/testing";
import { afterAll, describe, inject } from "vitest";

const url = inject("databaseUrl");
// One pool and one table for the file (other files use other tables), emptied after each test.
const pool = url ? new pg.Pool({ connectionString: url, max: 4 }) : undefined;
const table = `stint_conformance_${randomUUID().slice(0, 8)}`;

afterAll(async () => {
  await pool?.query(`DROP TABLE IF EXISTS "${table}"`);
  await pool?.end();
});

describe.skipIf(!pool)("postgres (needs PostgreSQL)", () => {
  describeStore("postgres", () => postgresStore({ pool: pool as pg.Pool, table }), {
    cleanup: async () => {
      await (pool as pg.Pool).query(`TRUNCATE "${table}"`);
    },
  });
});
