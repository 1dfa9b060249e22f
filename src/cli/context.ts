import type BetterSqlite3 from "better-sqlite3";
import { memoryUserStore, sqliteUserStore, type UserStore } from "../auth/users.js";
import { openStoreUrl, redact } from "../stores/from-url.js";
import type { Store } from "../stores/store.js";

export const DEFAULT_STORE_URL = "sqlite:./data/stint.db";

export interface OpenedBackend {
  store: Store;
  users: UserStore;
  database?: BetterSqlite3.Database;
  /** The store URL with any password hidden, for messages. */
  label: string;
}

/**
 * The store of a URL and the demo's users beside it: in the same SQLite file for `sqlite:`,
 * in memory for `memory:`.
 */
export async function openBackend(url: string): Promise<OpenedBackend> {
  const { store, database } = await openStoreUrl(url);
  const users = database ? sqliteUserStore({ database }) : memoryUserStore();
  return { store, users, database, label: redact(url) };
}
