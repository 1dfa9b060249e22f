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
      return checkStoreUrl(url) as never;
  }
}

const SCHEMES = new Set([
  "memory:",
  "sqlite:",
  "file:",
  "redis:",
  "rediss:",
  "redis+cluster:",
  "postgres:",
  "postgresql:",
]);

/** Throws, naming the accepted forms, unless `url` is a store URL openStoreUrl knows. */
export function checkStoreUrl(url: string): void {
  if (SCHEMES.has(schemeOf(url))) return;
  throw new TypeError(
    `unsupported store URL ${JSON.stringify(redact(url))}: use memory:, sqlite:PATH, file:DIR, redis://…, redis+cluster://… or postgres://….`,
  );
}

/** Query parameters that carry a credential in store URLs (libpq, ioredis, node-redis). */
const SECRET_PARAMETERS = /^(password|pass|passwd|pwd|sslpassword|sslkey|secret|token|auth|authtoken)$/i;

/**
 * A store URL with every password replaced by `***`, for messages and logs. It does not rely
 * on URL parsing, which fails on the forms people write (`redis+cluster://:pw@a:1,b:2`, a
 * password holding `@` or `/`): the user information is everything between `//` and the last
 * `@` before the query, and any credential-named query parameter is hidden too.
 */
export function redact(url: string): string {
  const queryAt = url.search(/[?#]/);
  const [base, query] = queryAt < 0 ? [url, ""] : [url.slice(0, queryAt), url.slice(queryAt)];
  let shown = base;
  const authority = base.indexOf("//");
  const userEnd = base.lastIndexOf("@");
  if (authority >= 0 && userEnd > authority) {
    const user = base.slice(authority + 2, userEnd);
    const colon = user.indexOf(":");
    const visible = colon < 0 ? (user ? "***" : "") : `${user.slice(0, colon)}:***`;
    shown = `${base.slice(0, authority + 2)}${visible}@${base.slice(userEnd + 1)}`;
  }
  const hiddenQuery = query.replace(/([?&;])([^=&;#]*)=([^&;#]*)/g, (pair, separator: string, name: string) =>
    SECRET_PARAMETERS.test(safeDecode(name)) ? `${separator}${name}=***` : pair,
  );
  return shown + hiddenQuery;
}

/** Hides every store URL's password inside a message (a driver's error may quote the URL). */
export function redactUrlsIn(text: string): string {
  return text.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi, (url) => redact(url));
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
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
