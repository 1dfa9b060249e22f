/**
 * What every benchmark server shares: the routes, the answer, the secret and the user, and
 * the counters a child reports to the parent.
 */
import { createServer, type RequestListener, type ServerResponse } from "node:http";

export const ROUTES = { read: "/read", write: "/write", login: "/login" } as const;
export type Route = keyof typeof ROUTES;

export const SECRET = "bench-secret-0123456789abcdefghijklmnopqrstuvwxyz";
export const USER_ID = "u_bench";
/** What every request sends: a browser's User-Agent (Stint remembers it at sign-in). */
export const USER_AGENT =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";
/** The answer of every route, whatever the variant. */
export const OK = { ok: true } as const;
export const OK_BODY = JSON.stringify(OK);

export type Framework = "node" | "express" | "fastify" | "hono";
export type SessionKind =
  | "none"
  | "stint"
  | "floor"
  | "iron-session"
  | "express-session"
  | "fastify-session"
  | "hono-sessions";
export type StoreKind = "memory" | "sqlite" | "redis" | "redis-cluster" | "postgres";

/** Stores whose Redis commands the parent counts (INFO commandstats, summed over the masters of a cluster). */
export const REDIS_STORES: ReadonlySet<StoreKind | undefined> = new Set(["redis", "redis-cluster"]);

export interface VariantSpec {
  framework: Framework;
  session: SessionKind;
  /** Where sessions live (none for "none" and the sealed-cookie iron-session). */
  store?: StoreKind;
}

export const variantKey = (spec: VariantSpec): string =>
  [spec.framework, spec.session, spec.store].filter((part) => part !== undefined).join(":");

/** Store calls of a server, by method, and how many of them changed the store. */
export interface CounterSource {
  calls(): Record<string, number>;
  writes(): number;
}

export const NO_COUNTERS: CounterSource = { calls: () => ({}), writes: () => 0 };

/** Counts calls by method; `writeMethods` names those that change the store. */
export class MethodCounter implements CounterSource {
  readonly #calls: Record<string, number> = {};
  constructor(readonly writeMethods: ReadonlySet<string>) {}
  count(method: string): void {
    this.#calls[method] = (this.#calls[method] ?? 0) + 1;
  }
  calls(): Record<string, number> {
    return { ...this.#calls };
  }
  writes(): number {
    let total = 0;
    for (const [method, calls] of Object.entries(this.#calls)) if (this.writeMethods.has(method)) total += calls;
    return total;
  }
}

/**
 * Wraps methods of an incumbent's store object in place so each call is counted, unchanged
 * otherwise (express-session checks `typeof store.touch` once, so wrap before handing it over).
 */
export function countMethods(target: object, methods: readonly string[], counter: MethodCounter): void {
  const record = target as Record<string, unknown>;
  for (const method of methods) {
    const original = record[method];
    if (typeof original !== "function") continue;
    record[method] = function counted(this: unknown, ...args: unknown[]) {
      counter.count(method);
      return original.apply(this, args);
    };
  }
}

/** A listening server and how to close it. */
export interface Listening {
  port: number;
  close(): Promise<void>;
}

/** What a variant module builds: the server and the store calls it counts. */
export interface RunningVariant extends Listening {
  counters: CounterSource;
}

export interface VariantContext {
  spec: VariantSpec;
  /** redis://… of the throwaway server, when the parent started one. */
  redisUrl?: string;
  /** redis+cluster://… of the throwaway Redis Cluster, when the parent started one. */
  redisClusterUrl?: string;
  /** postgres://… of the throwaway server, when the parent started one. */
  postgresUrl?: string;
  /** A private temporary directory (SQLite files). */
  dir: string;
}

/** node:http on a free loopback port, keeping the load generator's connections alive. */
export function listen(listener: RequestListener): Promise<Listening> {
  const server = createServer(listener);
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve({
        port: typeof address === "object" && address ? address.port : 0,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** A counter value for the write route, so every write really changes the session. */
export function nextCounter(): number {
  counter += 1;
  return counter;
}
let counter = 0;

/** The route of a node:http request, or null (404). */
export function routeOf(method: string | undefined, url: string | undefined): Route | null {
  if (url === ROUTES.read) return method === "GET" ? "read" : null;
  if (url === ROUTES.write) return method === "POST" ? "write" : null;
  if (url === ROUTES.login) return method === "POST" ? "login" : null;
  return null;
}

export function sendOk(response: ServerResponse): void {
  response.writeHead(200, { "content-type": "application/json" }).end(OK_BODY);
}
