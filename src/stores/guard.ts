import { StintError, StoreConflictError, type StoreFailure, StoreUnavailableError } from "../core/errors.js";
import { logStoreFailure } from "./failure-log.js";
import { recordProblem } from "./record-check.js";
import type { ScanOptions, SessionRecord, Store, UserStateStore } from "./store.js";

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
export interface GuardOptions {
  /** Bound on every call, in ms (default 2,000): past it, StoreUnavailableError. */
  timeoutMs?: number;
  /** Told of each damaged record found (and deleted): see `refuseDamaged`. */
  onDamagedRecord?: (sessionId: string, problem: string) => void;
}

export function guardStore(store: Store, options: GuardOptions = {}): Store {
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
        // Node's timers can be unref'd; a Worker's (workerd) are plain numbers.
        (watchdog as { unref?: () => void }).unref?.();
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
          if (error instanceof StintError || error instanceof StoreConflictError) {
            reject(error);
          } else {
            const message = `The ${store.kind} store failed during ${operation}.`;
            reject(new StoreUnavailableError(message, { cause: error, reason: "error" }));
          }
        },
      );
    });

  /**
   * A record the store cannot give back whole (bad JSON, wrong types) is no session: deleted,
   * reported, and left out, so one damaged row is never a permanent 503 for its cookie or for
   * its user's device list.
   */
  const refuseDamaged = async (records: SessionRecord[], id?: string): Promise<SessionRecord[]> => {
    const usable: SessionRecord[] = [];
    for (const record of records) {
      const problem = recordProblem(record, id);
      if (!problem) {
        usable.push(record);
        continue;
      }
      const damagedId = id ?? (record as { id?: unknown }).id;
      if (typeof damagedId !== "string") continue;
      await guard("delete", () => store.delete(damagedId)).catch(() => false);
      options.onDamagedRecord?.(damagedId, problem);
    }
    return usable;
  };

  const { count, scan, pubsub, peek, cache, userState, newId } = store;
  const usable = (records: SessionRecord[]) =>
    records.every((record) => recordProblem(record) === null) ? records : refuseDamaged(records);

  return {
    kind: store.kind,
    create: (record, options) => guard("create", () => store.create(record, options)),
    // The check is synchronous and cheap: only a damaged record costs another step.
    get: (id, now) =>
      guard("get", () => store.get(id, now)).then((record) =>
        record === null || recordProblem(record, id) === null ? record : refuseDamaged([record], id).then(() => null),
      ),
    patch: (id, patch) => guard("patch", () => store.patch(id, patch)),
    delete: (id) => guard("delete", () => store.delete(id)),
    listByUser: (userId, now) => guard("listByUser", () => store.listByUser(userId, now)).then(usable),
    deleteByUser: (userId, options) => guard("deleteByUser", () => store.deleteByUser(userId, options)),
    deleteExpired: (now, limit) => guard("deleteExpired", () => store.deleteExpired(now, limit)),
    // Optional capabilities stay optional: a store without them is wrapped without them.
    ...(count && { count: (now: number) => guard("count", () => count.call(store, now)) }),
    ...(scan && { scan: (options: ScanOptions) => guard("scan", () => scan.call(store, options)).then(usable) }),
    ...(pubsub && { pubsub }),
    // Answers from memory never wait, so there is nothing to bound; a damaged record is left
    // to `get`, which deletes and reports it.
    ...(peek && {
      peek: (id: string, now: number) => {
        const known = peek.call(store, id, now);
        return known && recordProblem(known, id) !== null ? undefined : known;
      },
    }),
    ...(cache && { cache }),
    ...(newId && { newId: newId.bind(store) }),
    ...(userState && { userState: guardUserState(userState, guard) }),
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

function guardUserState(
  userState: UserStateStore,
  guard: <T>(operation: string, call: () => Promise<T>) => Promise<T>,
): UserStateStore {
  const { insert, entries } = userState;
  return {
    get: (userId) => guard("userState.get", () => userState.get(userId)),
    patch: (userId, patch) => guard("userState.patch", () => userState.patch(userId, patch)),
    delete: (userId) => guard("userState.delete", () => userState.delete(userId)),
    ...(insert && {
      insert: (userId, record) => guard("userState.insert", () => insert.call(userState, userId, record)),
    }),
    ...(entries && {
      entries: () => guardSteps(entries.call(userState), (call) => guard("userState.entries", call)),
    }),
  };
}

/** Each step of an iteration under `guard`. */
async function* guardSteps<T>(
  source: AsyncIterable<T>,
  guard: <R>(call: () => Promise<R>) => Promise<R>,
): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  for (;;) {
    const step = await guard(() => iterator.next());
    if (step.done) return;
    yield step.value;
  }
}
