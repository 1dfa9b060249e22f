import { StintError, StoreConflictError, StoreUnavailableError } from "../core/errors.js";
import type { ScanOptions, Store } from "./store.js";

interface Pending {
  deadline: number;
  fail: () => void;
}

/**
 * Wraps a store so that every call is bounded in time and every driver failure becomes
 * StoreUnavailableError: callers fail closed with 503, never hang and never mistake an
 * outage for "no session" (express-session's storeReady; connect-redis #373).
 *
 * One watchdog timer serves all calls in flight: a timer per call would cost more than the
 * whole read path of an in-process store.
 */
export function guardStore(store: Store, options: { timeoutMs?: number } = {}): Store {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const pending = new Set<Pending>();
  let watchdog: ReturnType<typeof setInterval> | undefined;

  const watch = () => {
    const now = performance.now();
    for (const entry of pending) if (entry.deadline <= now) entry.fail();
    if (pending.size === 0) {
      clearInterval(watchdog);
      watchdog = undefined;
    }
  };

  const guard = <T>(operation: string, call: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const entry: Pending = {
        deadline: performance.now() + timeoutMs,
        fail: () => {
          pending.delete(entry);
          reject(
            new StoreUnavailableError(`The ${store.kind} store did not answer ${operation} within ${timeoutMs} ms.`),
          );
        },
      };
      pending.add(entry);
      if (!watchdog) {
        watchdog = setInterval(watch, Math.max(10, Math.min(250, timeoutMs / 4)));
        watchdog.unref();
      }
      let result: Promise<T>;
      try {
        result = call();
      } catch (error) {
        result = Promise.reject(error);
      }
      result.then(
        (value) => {
          if (pending.delete(entry)) resolve(value);
        },
        (error: unknown) => {
          if (!pending.delete(entry)) return;
          if (error instanceof StintError || error instanceof StoreConflictError) reject(error);
          else
            reject(new StoreUnavailableError(`The ${store.kind} store failed during ${operation}.`, { cause: error }));
        },
      );
    });

  const { count, scan, pubsub, peek, cache, newId } = store;
  return {
    kind: store.kind,
    create: (record, options) => guard("create", () => store.create(record, options)),
    get: (id, now) => guard("get", () => store.get(id, now)),
    patch: (id, patch) => guard("patch", () => store.patch(id, patch)),
    delete: (id) => guard("delete", () => store.delete(id)),
    listByUser: (userId, now) => guard("listByUser", () => store.listByUser(userId, now)),
    deleteByUser: (userId, options) => guard("deleteByUser", () => store.deleteByUser(userId, options)),
    deleteExpired: (now, limit) => guard("deleteExpired", () => store.deleteExpired(now, limit)),
    // Optional capabilities stay optional: a store without them is wrapped without them.
    ...(count && { count: (now: number) => guard("count", () => count.call(store, now)) }),
    ...(scan && { scan: (options: ScanOptions) => guard("scan", () => scan.call(store, options)) }),
    ...(pubsub && { pubsub }),
    // Answers from memory never wait, so there is nothing to bound.
    ...(peek && { peek: peek.bind(store) }),
    ...(cache && { cache }),
    ...(newId && { newId: newId.bind(store) }),
    health: async () => {
      try {
        return await guard("health", () => store.health());
      } catch {
        return { ok: false, latencyMs: timeoutMs };
      }
    },
    close: () => store.close(),
  };
}
