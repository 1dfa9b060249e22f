import { StoreUnavailableError } from "../core/errors.js";

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** What the schema code needs of a connection: pg's PoolClient fits. */
export interface PostgresQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
}

/**
 * Each entry moves a table's schema one version up; `stint_schema` records how many ran per
 * table. Append new steps, never edit old ones.
 *
 * - `id` is COLLATE "C" so ORDER BY id (scan) is byte order, as JS compares ASCII ids,
 *   whatever the database's locale.
 * - Times are epoch milliseconds in bigint, as in the record.
 * - `state_bytes` maps each state key to the bytes it adds to JSON.stringify(state), so
 *   maxStateBytes is checked inside the UPDATE: jsonb's own text form (spaces after ":" and
 *   ",", numbers in numeric notation) is not the size the contract counts.
 */
const migrations: ReadonlyArray<(table: string) => string> = [
  (table) => `
    CREATE TABLE IF NOT EXISTS "${table}" (
      id text COLLATE "C" PRIMARY KEY,
      secret_hash text NOT NULL,
      user_id text,
      created_at bigint NOT NULL,
      last_seen_at bigint NOT NULL,
      expires_at bigint NOT NULL,
      absolute_expires_at bigint NOT NULL,
      authenticated_at bigint,
      persistent boolean NOT NULL,
      version integer NOT NULL,
      data jsonb NOT NULL,
      state jsonb NOT NULL,
      state_bytes jsonb NOT NULL,
      updated_at bigint NOT NULL,
      meta jsonb NOT NULL
    );
    -- Partial: most sessions are anonymous, and "user_id = $1" implies the condition.
    CREATE INDEX IF NOT EXISTS "${table}_user" ON "${table}" (user_id, created_at) WHERE user_id IS NOT NULL;
    CREATE INDEX IF NOT EXISTS "${table}_expires" ON "${table}" (expires_at);
  `,
];

export const POSTGRES_SCHEMA_VERSION = migrations.length;

/** A table name safe to splice into SQL (it cannot be a bound parameter). */
export function checkTableName(table: string): string {
  if (!TABLE_NAME.test(table)) {
    throw new TypeError(`postgresStore: table must match ${TABLE_NAME}, got ${JSON.stringify(table)}.`);
  }
  return table;
}

/**
 * Creates or migrates the table in one transaction. The advisory lock serializes workers
 * starting together: concurrent CREATE TABLE IF NOT EXISTS can otherwise fail with a
 * unique violation on pg_type.
 */
export async function migrate(client: PostgresQueryable, table: string): Promise<void> {
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended('stint_schema', 0))");
    await client.query(
      "CREATE TABLE IF NOT EXISTS stint_schema (table_name text PRIMARY KEY, version integer NOT NULL)",
    );
    const { rows } = await client.query("SELECT version FROM stint_schema WHERE table_name = $1", [table]);
    const current = Number(rows[0]?.version ?? 0);
    if (current > POSTGRES_SCHEMA_VERSION) {
      throw new StoreUnavailableError(
        `The PostgreSQL table "${table}" has schema version ${current}; this Stint knows ${POSTGRES_SCHEMA_VERSION}. Upgrade Stint.`,
      );
    }
    for (const step of migrations.slice(current)) await client.query(step(table));
    await client.query(
      `INSERT INTO stint_schema (table_name, version) VALUES ($1, $2)
        ON CONFLICT (table_name) DO UPDATE SET version = excluded.version`,
      [table, POSTGRES_SCHEMA_VERSION],
    );
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}

const COLUMNS = `id, secret_hash, user_id, created_at, last_seen_at, expires_at, absolute_expires_at,
  authenticated_at, persistent, version, data::text AS data, state::text AS state, updated_at, meta::text AS meta`;

/** JSON.stringify(state)'s size from `state_bytes`: "{}" or "{" + members + commas + "}". */
export const stateSize = (sizes: string) =>
  `(SELECT CASE WHEN count(*) = 0 THEN 2 ELSE 1 + sum(value::bigint) END FROM jsonb_each_text(${sizes}))`;

/**
 * A change that every process's session cache must hear of: the statement's changed rows,
 * each announced with `pg_notify(channel, nonce || ' ' || id)` in the same statement, so the
 * notification is sent exactly when the change commits (see SessionCache). `$n` and `$n+1`
 * are the channel and this process's nonce.
 */
const announced = (change: string, n: number) =>
  `WITH changed AS (${change}) SELECT changed.*, pg_notify($${n}, $${n + 1} || ' ' || changed.id) FROM changed`;

/** The statements of one table, written once. */
export function statements(table: string) {
  const t = `"${table}"`;
  return {
    insert: `INSERT INTO ${t} (id, secret_hash, user_id, created_at, last_seen_at, expires_at, absolute_expires_at,
        authenticated_at, persistent, version, data, state, state_bytes, updated_at, meta)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb, $13::jsonb, $14, $15::jsonb)`,
    /** Keeps the newest `keep` other live sessions of the user ($1), deleting the rest. */
    evict: announced(
      `DELETE FROM ${t} WHERE id IN (
        SELECT id FROM ${t} WHERE user_id = $1 AND id <> $2 AND expires_at > $3
        ORDER BY created_at DESC, id DESC OFFSET $4)
      RETURNING id, created_at`,
      5,
    ),
    /** Serializes creates with maxPerUser of one user, so two cannot both stay under the limit. */
    lockUser: "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
    get: `SELECT ${COLUMNS} FROM ${t} WHERE id = $1 AND expires_at > $2`,
    /**
     * One statement: jsonb `-` text[] removes keys and `||` replaces top-level keys whole, so
     * concurrent patches of different keys never lose each other's update. $1 id, $2 now,
     * $3/$6 data/state changed, $4/$7 keys to unset, $5/$8 members to set, $9 state sizes of
     * the members set, $10 lastSeenAt, $11 expiresAt, $12 ifVersion, $13 maxStateBytes.
     */
    patch: announced(
      `UPDATE ${t} SET
        data = CASE WHEN $3 THEN (data - $4::text[]) || $5::jsonb ELSE data END,
        state = CASE WHEN $6 THEN (state - $7::text[]) || $8::jsonb ELSE state END,
        state_bytes = CASE WHEN $6 THEN (state_bytes - $7::text[]) || $9::jsonb ELSE state_bytes END,
        version = version + CASE WHEN $3 OR $6 THEN 1 ELSE 0 END,
        updated_at = CASE WHEN $3 OR $6 THEN $2::bigint ELSE updated_at END,
        last_seen_at = greatest(last_seen_at, coalesce($10::bigint, last_seen_at)),
        expires_at = coalesce($11::bigint, expires_at)
      WHERE id = $1 AND expires_at > $2::bigint
        AND ($12::integer IS NULL OR version = $12::integer)
        AND ($13::bigint IS NULL OR ${stateSize("(state_bytes - $7::text[]) || $9::jsonb")} <= $13::bigint)
      RETURNING ${COLUMNS}`,
      14,
    ),
    version: `SELECT version FROM ${t} WHERE id = $1 AND expires_at > $2`,
    delete: announced(`DELETE FROM ${t} WHERE id = $1 RETURNING id`, 2),
    deleteReturningLive: announced(`DELETE FROM ${t} WHERE id = $1 RETURNING id, expires_at > $2 AS live`, 3),
    listByUser: `SELECT ${COLUMNS} FROM ${t} WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC, id DESC`,
    deleteByUser: announced(
      `DELETE FROM ${t} WHERE user_id = $1 AND ($2::text IS NULL OR id <> $2::text) RETURNING id`,
      3,
    ),
    /** SKIP LOCKED: cleaners on several workers take different rows instead of queueing. */
    deleteExpired: `DELETE FROM ${t} WHERE id IN (
        SELECT id FROM ${t} WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    count: `SELECT count(*) AS count FROM ${t} WHERE expires_at > $1`,
    scan: `SELECT ${COLUMNS} FROM ${t} WHERE ($1::text IS NULL OR id > $1::text) AND expires_at > $2
      ORDER BY id LIMIT $3`,
  };
}

/** What a table beside the sessions needs of the store's pool: pg's `Pool` fits. */
export interface PostgresSidePool extends PostgresQueryable {
  connect(): Promise<PostgresQueryable & { release(): void }>;
}

/**
 * A table beside the sessions, `<session table><suffix>` (cut to PostgreSQL's 63 bytes),
 * created on first use under the lock the session table's migration takes, so workers
 * starting together queue there. Its `query` waits for the table and goes through `guard`
 * (the store's: failures become 503).
 */
export function sideTable(
  pool: PostgresSidePool,
  sessionTable: string,
  suffix: string,
  columns: string,
  guard: <T>(call: () => Promise<T>) => Promise<T>,
) {
  const name = `"${sessionTable.slice(0, 63 - suffix.length)}${suffix}"`;
  let ready: Promise<void> | undefined;
  const prepared = (): Promise<void> =>
    (ready ??= (async () => {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        await client.query("SELECT pg_advisory_xact_lock(hashtextextended('stint_schema', 0))");
        await client.query(`CREATE TABLE IF NOT EXISTS ${name} (${columns})`);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    })().catch((error: unknown) => {
      ready = undefined;
      throw error;
    }));
  return {
    name,
    query: (text: string, values: unknown[]) =>
      guard(async () => {
        await prepared();
        return pool.query(text, values);
      }),
  };
}
