import { describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../../src/core/errors.js";
import { fallbackStore } from "../../src/stores/fallback.js";
import { memoryStore } from "../../src/stores/memory.js";
import type { Store } from "../../src/stores/store.js";
import { makeRecord } from "../../src/testing.js";

const now = Date.now();

/**
 * A real memory store behind a switch: while `down`, every call fails as a guarded primary's
 * would. `landsWhileDown` makes a create apply and then fail, as one that timed out after the
 * store committed it.
 */
function switchable(inner: Store) {
  const state = { down: false, landsWhileDown: false };
  const fail = () => Promise.reject(new StoreUnavailableError("down", { reason: "unreachable" }));
  const store = new Proxy(inner, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (!state.down) return value.apply(target, args);
        if (name === "create" && state.landsWhileDown) return value.apply(target, args).then(fail);
        return fail();
      };
    },
  });
  return { store, state };
}

describe("fallbackStore revocation during an outage", () => {
  it("refuses to revoke a primary's session while it is down, and that session still works after", async () => {
    const primary = memoryStore();
    const { store, state } = switchable(primary);
    const fallback = fallbackStore(store);
    const laptop = makeRecord({ userId: "alice" });
    await fallback.create(laptop, { now });
    state.down = true;
    const phone = makeRecord({ userId: "alice" });
    await fallback.create(phone, { now });
    await expect(fallback.deleteByUser("alice", { except: phone.id })).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(fallback.delete(laptop.id)).rejects.toBeInstanceOf(StoreUnavailableError);
    // The failed revocations changed nothing, in memory either.
    expect((await fallback.get(phone.id, now))?.id).toBe(phone.id);
    state.down = false;
    expect((await fallback.get(laptop.id, now))?.id).toBe(laptop.id);
    expect(await fallback.deleteByUser("alice", { except: phone.id })).toEqual([laptop.id]);
    expect(await fallback.get(laptop.id, now)).toBeNull();
  });

  it("ends a session made during the outage at once, even one whose create reached the primary after all", async () => {
    const primary = memoryStore();
    const { store, state } = switchable(primary);
    const fallback = fallbackStore(store);
    state.down = true;
    state.landsWhileDown = true;
    const record = makeRecord({ userId: "bob" });
    await fallback.create(record, { now });
    expect(await primary.get(record.id, now)).not.toBeNull();
    expect(await fallback.delete(record.id)).toBe(true);
    expect(await fallback.get(record.id, now)).toBeNull();
    expect(await fallback.patch(record.id, { stateSet: { a: 1 }, now })).toEqual({ ok: false, reason: "not_found" });
    state.down = false;
    // Back: the copy in the primary is never served, and is deleted there on the next look.
    expect(await fallback.get(record.id, now)).toBeNull();
    expect(await fallback.listByUser("bob", now)).toEqual([]);
    expect(await primary.get(record.id, now)).toBeNull();
  });
});
