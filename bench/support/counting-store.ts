import type { Store } from "../../src/stores/store.js";

const WRITES = new Set(["create", "patch", "delete", "deleteByUser", "deleteExpired"]);

/** Forwards every call to the real store and counts them: how many writes a request costs. */
export function countingStore(store: Store): { store: Store; counts: Map<string, number>; writes(): number } {
  const counts = new Map<string, number>();
  const counted = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        counts.set(String(property), (counts.get(String(property)) ?? 0) + 1);
        return value.apply(target, args);
      };
    },
  });
  const writes = () => {
    let total = 0;
    for (const [name, count] of counts) if (WRITES.has(name)) total += count;
    return total;
  };
  return { store: counted, counts, writes };
}
