import type { ScanOptions, SessionRecord, Store } from "stint";

export type StoreMethod = Exclude<keyof Store, "kind">;

const METHODS: readonly StoreMethod[] = [
  "create",
  "get",
  "patch",
  "delete",
  "listByUser",
  "deleteByUser",
  "deleteExpired",
  "count",
  "scan",
  "health",
  "close",
];

/** The methods that change what a store holds. */
const WRITES: readonly StoreMethod[] = ["create", "patch", "delete", "deleteByUser", "deleteExpired"];

export interface CountingStore extends Store {
  /** Calls per method since creation or the last `reset()`. */
  readonly calls: Readonly<Record<StoreMethod, number>>;
  /** Calls to the methods that change the store. */
  writes(): number;
  /** Calls to every method. */
  total(): number;
  reset(): void;
}

const zero = (): Record<StoreMethod, number> =>
  Object.fromEntries(METHODS.map((method) => [method, 0])) as Record<StoreMethod, number>;

/**
 * Instrumentation, not a mock: every call goes to the real store, unchanged, and is counted,
 * so a test can say "this request cost one read and no write" against real behaviour.
 */
export function countingStore(inner: Store): CountingStore {
  let calls = zero();
  const tally = (method: StoreMethod) => {
    calls[method] += 1;
  };
  return {
    kind: inner.kind,
    get calls() {
      return calls;
    },
    writes: () => WRITES.reduce((sum, method) => sum + calls[method], 0),
    total: () => METHODS.reduce((sum, method) => sum + calls[method], 0),
    reset: () => {
      calls = zero();
    },
    create: (record, options) => {
      tally("create");
      return inner.create(record, options);
    },
    get: (id, now) => {
      tally("get");
      return inner.get(id, now);
    },
    patch: (id, patch) => {
      tally("patch");
      return inner.patch(id, patch);
    },
    delete: (id) => {
      tally("delete");
      return inner.delete(id);
    },
    listByUser: (userId, now) => {
      tally("listByUser");
      return inner.listByUser(userId, now);
    },
    deleteByUser: (userId, options) => {
      tally("deleteByUser");
      return inner.deleteByUser(userId, options);
    },
    deleteExpired: (now, limit) => {
      tally("deleteExpired");
      return inner.deleteExpired(now, limit);
    },
    ...(inner.count && {
      count: (now: number) => {
        tally("count");
        return inner.count?.(now) as Promise<number>;
      },
    }),
    ...(inner.scan && {
      scan: (options: ScanOptions) => {
        tally("scan");
        return inner.scan?.(options) as Promise<SessionRecord[]>;
      },
    }),
    ...(inner.pubsub && { pubsub: inner.pubsub }),
    // Ids as the store mints them (a sharded store puts them in their user's bucket).
    ...(inner.newId && { newId: inner.newId.bind(inner) }),
    ...(inner.cache && { cache: inner.cache }),
    // A lookup the store answers from memory is still one read: counted as a get.
    ...(inner.peek && {
      peek: (id: string, now: number) => {
        const known = inner.peek?.(id, now);
        if (known !== undefined) tally("get");
        return known;
      },
    }),
    health: () => {
      tally("health");
      return inner.health();
    },
    close: () => {
      tally("close");
      return inner.close();
    },
  };
}
