import { StintError, StoreConflictError, StoreUnavailableError } from "../core/errors.js";
import type { Store } from "./store.js";

/**
 * Wraps a store so that every call is bounded in time and every driver failure becomes
 * StoreUnavailableError: callers fail closed with 503, never hang and never mistake an
 * outage for "no session" (express-session's storeReady; connect-redis #373).
 */
export function guardStore(store: Store, options: { timeoutMs?: number } = {}): Store {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const guard = <T>(operation: string, call: () => Promise<T>): Promise<T> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new StoreUnavailableError(`The ${store.kind} store did not answer ${operation} within ${timeoutMs} ms.`),
          ),
        timeoutMs,
      );
    });
    let pending: Promise<T>;
    try {
      pending = call();
    } catch (error) {
      pending = Promise.reject(error);
    }
    return Promise.race([pending, timeout]).then(
      (value) => {
        clearTimeout(timer);
        return value;
      },
      (error: unknown) => {
        clearTimeout(timer);
        if (error instanceof StintError || error instanceof StoreConflictError) throw error;
        throw new StoreUnavailableError(`The ${store.kind} store failed during ${operation}.`, { cause: error });
      },
    );
  };
  return {
    kind: store.kind,
    create: (record, options) => guard("create", () => store.create(record, options)),
    get: (id, now) => guard("get", () => store.get(id, now)),
    patch: (id, patch) => guard("patch", () => store.patch(id, patch)),
    delete: (id) => guard("delete", () => store.delete(id)),
    listByUser: (userId, now) => guard("listByUser", () => store.listByUser(userId, now)),
    deleteByUser: (userId, options) => guard("deleteByUser", () => store.deleteByUser(userId, options)),
    deleteExpired: (now, limit) => guard("deleteExpired", () => store.deleteExpired(now, limit)),
    count: (now) => guard("count", () => store.count(now)),
    scan: (options) => guard("scan", () => store.scan(options)),
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
