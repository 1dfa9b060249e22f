import type BetterSqlite3 from "better-sqlite3";
import { createStint, type PolicyOptions, type Stint, type Store } from "stint";
import { type AccountsOptions, createAccounts, createPasswordHasher, sqliteUserStore } from "stint/accounts";
import { serve, type TrustProxy } from "stint/adapters/node";
import { openStoreUrl } from "../../src/stores/from-url.js";
import { openDatabase } from "../../src/stores/sqlite-schema.js";
import { TEST_SECRET } from "./api-target.js";
import type { Fetcher } from "./browser.js";

/** Cheap argon2id parameters: these tests exercise sessions, not the hash's cost. */
export const cheapHasher = createPasswordHasher({ memoryCost: 1024, timeCost: 1 });

export interface StintServerOptions {
  /** Any store URL of API.md: `redis://…`, `postgres://…`, `sqlite:…`. */
  storeUrl?: string;
  /** A store the test made (its own key prefix, say), used instead of opening `storeUrl`. */
  store?: Store;
  /** The SQLite file holding the demo's users, shared by every server of a test. */
  usersPath: string;
  /** Bound on every store call (createStint's `storeTimeoutMs`). */
  storeTimeoutMs?: number;
  /** Wraps the store before Stint sees it (e.g. the memory fallback). */
  wrapStore?: (store: Store) => Store;
  heartbeatMs?: number;
  /** Timeouts and limits (createStint's policy options), e.g. `maxSessionsPerUser`. */
  policy?: PolicyOptions;
  /** Failed-login limits of the demo accounts (defaults: API.md's). */
  accountLimits?: AccountsOptions["limits"];
  /** Believe X-Forwarded-For from this many proxies (tests choose their client's address). */
  trustProxy?: TrustProxy;
}

/** A Stint served over real node:http on a free port, like one worker of `stint serve`. */
export interface StintServer {
  stint: Stint;
  url: string;
  /** What TestBrowser needs: the server's URL and a fetch over real sockets. */
  target: { baseUrl: string; fetch: Fetcher };
  close(): Promise<void>;
}

export async function startStintServer(options: StintServerOptions): Promise<StintServer> {
  if (!options.store && !options.storeUrl) throw new TypeError("startStintServer: give a store or a storeUrl.");
  const store = options.store ?? (await openStoreUrl(options.storeUrl as string)).store;
  const users: BetterSqlite3.Database = openDatabase(options.usersPath);
  const stint = createStint({
    store: options.wrapStore ? options.wrapStore(store) : store,
    secret: TEST_SECRET,
    storeTimeoutMs: options.storeTimeoutMs,
    accounts: createAccounts({
      users: sqliteUserStore({ database: users }),
      hasher: cheapHasher,
      limits: options.accountLimits,
      // As an app on a shared store does: every server counts failed sign-ins in one place.
      attempts: store.attempts,
    }),
    heartbeatMs: options.heartbeatMs,
    ...options.policy,
  });
  const running = await serve(stint, {
    port: 0,
    host: "127.0.0.1",
    shutdownTimeoutMs: 2_000,
    trustProxy: options.trustProxy,
  });
  return {
    stint,
    url: running.url,
    target: { baseUrl: running.url, fetch: (request) => fetch(request) },
    async close() {
      await running.close();
      if (users.open) users.close();
    },
  };
}
