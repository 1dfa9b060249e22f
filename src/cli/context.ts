import { join } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { memoryUserStore, sqliteUserStore, type UserStore } from "../auth/users.js";
import { openStoreUrl, redact, type StoreUrlOptions } from "../stores/from-url.js";
import { openDatabase } from "../stores/sqlite-schema.js";
import type { Store } from "../stores/store.js";

export const DEFAULT_STORE_URL = "sqlite:./data/stint.db";

export interface OpenedBackend {
  store: Store;
  users: UserStore;
  database?: BetterSqlite3.Database;
  /** The store URL with any password hidden, for messages. */
  label: string;
  /** Closes the store (and its pub/sub): a command that ends must leave nothing holding the process. */
  close(): Promise<void>;
}

/**
 * The store of a URL and the demo's users beside it: in the same SQLite file for `sqlite:`,
 * in memory for `memory:`, and in `<dataDir>/users.db` otherwise (shared by the workers and
 * servers of one machine).
 */
export async function openBackend(url: string, options: { dataDir?: string } = {}): Promise<OpenedBackend> {
  const { store, database } = await openStoreUrl(url, storeUrlOptions());
  let users: UserStore;
  if (database) users = sqliteUserStore({ database });
  else if (store.kind === "memory") users = memoryUserStore();
  else users = sqliteUserStore({ database: openDatabase(join(options.dataDir ?? "./data", "users.db")) });
  return { store, users, database, label: redact(url), close: () => store.close() };
}

/**
 * What store URLs cannot carry, from the environment: `STINT_SHARD_KEY`, the key that places
 * each user's sessions on a Redis Cluster (a secret; in a URL it would be printed). Every
 * server and tool of one cluster must have the same.
 */
export function storeUrlOptions(): StoreUrlOptions {
  return { shardKey: process.env.STINT_SHARD_KEY || undefined };
}
