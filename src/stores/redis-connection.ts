import { StoreUnavailableError } from "../core/errors.js";
import type { RedisScript } from "./redis-scripts.js";

/** What both Redis layouts need to run a script: EVALSHA, and EVAL when the server lacks it. */
export interface ScriptClient {
  evalsha(sha1: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(script: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>;
}

/** Is this Redis's answer to an EVALSHA of a script it does not hold? */
export function isNoScript(error: unknown): boolean {
  return String((error as Error | undefined)?.message).startsWith("NOSCRIPT");
}

/**
 * Runs a script by its SHA1. A restarted, flushed or newly promoted server has an empty
 * script cache (the cache is not replicated): EVAL then sends the source, and loads it.
 */
export async function runScript(
  client: ScriptClient,
  script: RedisScript,
  keys: string[],
  args: (string | number)[],
): Promise<unknown> {
  try {
    return await client.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!isNoScript(error)) throw error;
    return await client.eval(script.source, keys.length, ...keys, ...args);
  }
}

/** A client that says when it is ready: ioredis' `Redis` and `Cluster`. */
interface Connecting {
  readonly status: string;
  once(event: "ready", listener: () => void): unknown;
  off(event: "ready", listener: () => void): unknown;
}

/**
 * Without an offline queue, a command sent before the first connection would fail: until the
 * client is ready (or `timeoutMs` has passed, Redis being down at start), calls wait. Returns
 * the wait, or null once it is over (the hot path then costs one comparison).
 */
export function firstConnection(client: Connecting, timeoutMs: number): () => Promise<void> | null {
  if (client.status === "ready") return () => null;
  let waiting: Promise<void> | null = new Promise<void>((resolve) => {
    const done = () => {
      waiting = null;
      clearTimeout(timer);
      client.off("ready", done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    timer.unref();
    client.once("ready", done);
  });
  return () => waiting;
}

/** QUIT, or a plain disconnect when QUIT cannot be sent (the server is gone). */
export async function closeClient(client: { quit(): Promise<unknown>; disconnect(): void }): Promise<void> {
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

/**
 * A Redis client's failure as StoreUnavailableError (fail closed: a 503), with its reason word.
 * Cluster failures read as timeouts ("Command timed out"), closed connections ("Connection is
 * closed.", "Too many Cluster redirections. Last error: Connection is closed.") or, for the
 * rest (CLUSTERDOWN, a cluster not ready), an unreachable store.
 */
export function storeFailure(error: unknown, store: string): StoreUnavailableError {
  if (error instanceof StoreUnavailableError) return error;
  const message = String((error as Error | undefined)?.message);
  const reason = /timed? ?out/i.test(message)
    ? "timeout"
    : /connection is closed/i.test(message)
      ? "closed"
      : "unreachable";
  return new StoreUnavailableError(`The ${store} failed: ${message}`, { cause: error, reason });
}

/**
 * A store's guard: waits for the client's first connection, then fails closed (any client
 * or server failure becomes StoreUnavailableError, a 503).
 */
export function failClosed(connecting: () => Promise<unknown> | null, store: string) {
  return async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      const first = connecting();
      if (first) await first;
      return await call();
    } catch (error) {
      throw storeFailure(error, store);
    }
  };
}
