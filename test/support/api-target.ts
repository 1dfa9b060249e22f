import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { createStint, type Stint } from "stint";
import { createAccounts, createPasswordHasher, sqliteUserStore } from "stint/accounts";
import { openStoreUrl } from "../../src/stores/from-url.js";
import type { Fetcher } from "./browser.js";
import { FakeClock, HOUR, MINUTE } from "./fake-clock.js";

/** One way of serving a Stint in this process: the bare handler, node:http, Express, Fastify, Hono, … */
export type LocalHost = (stint: Stint) => Promise<{ baseUrl: string; fetch: Fetcher; close(): Promise<void> }>;

/**
 * A Stint served by another runtime (Bun, Deno): the server builds its own, with the options
 * below and the memory store, and the test reaches it over HTTP only. `fetch` carries the
 * test's clock to the server before each request, and the audit log lines the server prints
 * go to `logLines`.
 */
export interface RemoteHost {
  readonly runtime: string;
  readonly store: "memory" | "sqlite";
  start(test: {
    clock: FakeClock;
    logLines: string[];
    /** The admin API's token, or null for none. */
    adminToken: string | null;
  }): Promise<{ baseUrl: string; fetch: Fetcher; close(): Promise<void> }>;
}

export type Host = LocalHost | RemoteHost;

/** Does this host keep sessions in a file that outlives the server? */
export const isPersistent = (host: Host) => typeof host === "function";

/** Does this host's Stint run in the test's own process (so the test may call it directly)? */
export const isLocal = (host: Host): host is LocalHost => typeof host === "function";

export interface ApiTarget {
  /** The store `GET /api/health` names. */
  storeKind: string;
  baseUrl: string;
  fetch: Fetcher;
  clock: FakeClock;
  /** Audit log lines written so far. */
  logLines: string[];
  dbPath: string;
  stint: Stint;
  /** Stops the server and starts a new one on the same SQLite file (same secret). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export const TEST_SECRET = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz";
/** The admin API's token in the HTTP suite (API.md, "Administration"). */
export const TEST_ADMIN_TOKEN = "test-admin-token-0123456789abcdefghijklmnop";
export const TEST_POLICY = {
  idleTimeout: 30 * MINUTE,
  absoluteTimeout: 8 * HOUR,
  rememberTimeout: 30 * 24 * HOUR,
  maxSessionsPerUser: 3,
};
// Cheap argon2id parameters: the tests exercise the flow, not the hash's cost.
export const TEST_HASHER_COSTS = { memoryCost: 1024, timeCost: 1 };
export const TEST_HASHER = createPasswordHasher(TEST_HASHER_COSTS);

export interface TargetOptions {
  /** The admin API's token; null leaves the admin API off. Default TEST_ADMIN_TOKEN. */
  adminToken?: string | null;
}

export async function startTarget(host: Host, options: TargetOptions = {}): Promise<ApiTarget> {
  if (typeof host !== "function") return startRemoteTarget(host, options);
  const { adminToken = TEST_ADMIN_TOKEN } = options;
  const dir = mkdtempSync(join(tmpdir(), "stint-api-"));
  const dbPath = join(dir, "stint.db");
  const clock = new FakeClock();
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  const logger = pino({ base: null }, sink);

  const open = async () => {
    const { store, database } = await openStoreUrl(`sqlite:${dbPath}`);
    return createStint({
      store,
      secret: TEST_SECRET,
      clock,
      ...TEST_POLICY,
      accounts: createAccounts({ users: sqliteUserStore({ database: database! }), hasher: TEST_HASHER, clock }),
      auditLog: logger,
      heartbeatMs: 500,
      ...(adminToken === null ? {} : { adminToken }),
    });
  };

  let stint = await open();
  let served = await host(stint);
  const target: ApiTarget = {
    storeKind: "sqlite",
    baseUrl: served.baseUrl,
    fetch: (request) => served.fetch(request),
    clock,
    logLines,
    dbPath,
    stint,
    async restart() {
      await served.close();
      stint = await open();
      served = await host(stint);
      target.stint = stint;
      target.baseUrl = served.baseUrl;
    },
    async close() {
      await served.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return target;
}

async function startRemoteTarget(host: RemoteHost, options: TargetOptions): Promise<ApiTarget> {
  const clock = new FakeClock();
  const logLines: string[] = [];
  const { adminToken = TEST_ADMIN_TOKEN } = options;
  const served = await host.start({ clock, logLines, adminToken });
  const elsewhere = () => new Error(`The Stint runs in ${host.runtime}, not in this process.`);
  return {
    storeKind: host.store,
    baseUrl: served.baseUrl,
    fetch: served.fetch,
    clock,
    logLines,
    dbPath: "",
    get stint(): Stint {
      throw elsewhere();
    },
    restart: () => Promise.reject(elsewhere()),
    close: () => served.close(),
  };
}

/** The bare `(Request) => Promise<Response>` handler, no sockets. */
export const fetchHost: LocalHost = async (stint) => ({
  baseUrl: "http://stint.test",
  fetch: (request) => stint.handler(request, { ip: "203.0.113.7" }),
  close: () => stint.close(),
});
