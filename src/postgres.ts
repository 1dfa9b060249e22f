/**
 * "stint/postgres": sessions in PostgreSQL (pg), shared by every process, with Stint's events
 * between them over LISTEN/NOTIFY.
 *
 * @example
 * ```ts
 * import { createStint } from "stint";
 * import { postgresStore } from "stint/postgres";
 * const stint = createStint({ store: postgresStore({ url: process.env.DATABASE_URL! }), secret });
 * ```
 */
export {
  type PostgresPool,
  type PostgresPoolOptions,
  type PostgresStoreOptions,
  type PostgresUrlOptions,
  postgresStore,
} from "./stores/postgres.js";
