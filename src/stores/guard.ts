import {
  CorruptRecordError,
  StintError,
  StoreConflictError,
  type StoreFailure,
  StoreUnavailableError,
} from "../core/errors.js";
import { logStoreFailure } from "./failure-log.js";
import type { Store } from "./store.js";

const HEALTH_WORDS: ReadonlySet<string> = new Set<StoreFailure>(["timeout", "unreachable", "closed", "error"]);

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
            new StoreUnavailableError(`The ${store.kind} store did not answer ${operation} within ${timeoutMs} ms.`, {
              reason: "timeout",
            }),
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
          if (
            error instanceof StintError ||
            error instanceof StoreConflictError ||
            error instanceof CorruptRecordError
          ) {
            reject(error);
          } else {
            const message = `The ${store.kind} store failed during ${operation}: ${(error as Error | null)?.message}`;
            reject(new StoreUnavailableError(message, { cause: error, reason: "error" }));
          }
        },
      );
    });

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
    // A store's own health may describe a failure in its driver's words: they go to the log,
    // and the report keeps a fixed word (API.md: health never carries a driver's message).
    health: async () => {
      try {
        const probe = await guard("health", () => store.health());
        if (probe.ok) return probe.detail === "degraded" ? probe : { ok: true, latencyMs: probe.latencyMs };
        const reason = HEALTH_WORDS.has(probe.detail ?? "") ? (probe.detail as StoreFailure) : "unreachable";
        logStoreFailure(new StoreUnavailableError(`The ${store.kind} store reports: ${probe.detail}`, { reason }));
        return { ok: false, latencyMs: probe.latencyMs, detail: reason };
      } catch (error) {
        logStoreFailure(error);
        const reason = error instanceof StoreUnavailableError ? error.reason : "error";
        return { ok: false, latencyMs: timeoutMs, detail: reason };
      }
    },
    close: () => store.close(),
  };
}
