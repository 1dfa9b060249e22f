import type BetterSqlite3 from "better-sqlite3";
import { fileStore } from "./file.js";
import { memoryStore } from "./memory.js";
import { sqliteStore } from "./sqlite.js";
import { openDatabase } from "./sqlite-schema.js";
import type { Store } from "./store.js";

export interface StoreUrlOptions {
  /** A Redis Cluster's `shardKey` (redisStore): every process and tool on one cluster must share it. */
  shardKey?: string;
}

export interface OpenedStore {
  store: Store;
  /** The SQLite handle of an `sqlite:` store, for tables that live beside the sessions. */
  database?: BetterSqlite3.Database;
}

/**
 * Turns a store URL (API.md: `memory:`, `sqlite:./data/stint.db`, `file:./data/sessions`,
 * `redis://…`, `redis+cluster://host:port,…`, `postgres://…`) into a Store. Drivers of remote stores are loaded only when
 * used. Throws, naming the accepted forms, on anything else.
 */
export async function openStoreUrl(url: string, options: StoreUrlOptions = {}): Promise<OpenedStore> {
  switch (schemeOf(url)) {
    case "memory:":
      return { store: memoryStore() };
    case "sqlite:": {
      const path = url.slice("sqlite:".length).replace(/^\/\//, "") || "./data/stint.db";
      const database = openDatabase(path);
      const store = sqliteStore({ database });
      // The URL opened the handle, so closing the store closes it too.
      const close = async () => {
        await store.close();
        if (database.open) database.close();
      };
      return { store: { ...store, close }, database };
    }
    case "file:": {
      const directory = url.slice("file:".length).replace(/^\/\//, "") || "./data/sessions";
      return { store: fileStore({ directory }) };
    }
    case "redis:":
    case "rediss:":
      return { store: (await import("./redis.js")).redisStore({ url }) };
    case "redis+cluster:":
      return { store: (await import("./redis.js")).redisStore({ url, shardKey: options.shardKey }) };
    case "postgres:":
    case "postgresql:":
      return { store: (await import("./postgres.js")).postgresStore({ url }) };
    default:
      throw new TypeError(
        `Unsupported store URL ${JSON.stringify(redact(url))}: use memory:, sqlite:PATH, file:DIR, redis://…, redis+cluster://… or postgres://….`,
      );
  }
}

/** A URL with any password replaced, for messages and logs. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, "//$1:***@");
}

const REDIS = new Set(["redis:", "rediss:", "redis+cluster:"]);
const POSTGRES = new Set(["postgres:", "postgresql:"]);

/** Do processes using this store URL share its sessions and events (workers, servers)? */
export function sharesAcrossProcesses(url: string): boolean {
  const scheme = schemeOf(url);
  return REDIS.has(scheme) || POSTGRES.has(scheme);
}

/** `"redis:"` for `redis://…`, lower-cased. */
function schemeOf(url: string): string {
  return url.slice(0, url.indexOf(":") + 1).toLowerCase();
}
