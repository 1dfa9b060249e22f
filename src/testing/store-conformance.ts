import { afterEach, beforeEach, describe } from "vitest";
import type { Store } from "../stores/store.js";
import { describeAttempts } from "./conformance/attempts.js";
import { describeExpiry } from "./conformance/expiry.js";
import { describePatches } from "./conformance/patches.js";
import { describeRecords } from "./conformance/records.js";
import { describeUserState } from "./conformance/user-state.js";
import { describeUsers } from "./conformance/users.js";
import { describeValues } from "./conformance/values.js";

export interface DescribeStoreOptions {
  /** Runs after each test, before the store is closed: empty a shared server here. */
  cleanup?: (store: Store) => Promise<void>;
}

/**
 * The contract every Store must keep, as one vitest suite: call it once at the top level of
 * a test file. `makeStore` runs before each test and should give an empty store backed by
 * the real thing (a file, a server), not a mock. Expiry tests wait for real time (about a
 * second in all).
 *
 * @example
 * import { describeStore } from "stint/testing";
 * describeStore("my-store", () => myStore({ url: process.env.MY_STORE_URL }), {
 *   cleanup: (store) => flushEverything(store),
 * });
 */
export function describeStore(
  name: string,
  makeStore: () => Promise<Store> | Store,
  options: DescribeStoreOptions = {},
): void {
  describe(`Store conformance: ${name}`, () => {
    let store: Store | undefined;
    const current = (): Store => {
      if (!store) throw new Error("describeStore: the store is used outside a test.");
      return store;
    };

    beforeEach(async () => {
      store = await makeStore();
    });

    afterEach(async () => {
      const finished = store;
      store = undefined;
      if (!finished) return;
      try {
        await options.cleanup?.(finished);
      } finally {
        await finished.close();
      }
    });

    describeRecords(current);
    describePatches(current);
    describeUsers(current);
    describeExpiry(current);
    describeValues(current);
    describeUserState(current);
    describeAttempts(current);
  });
}
