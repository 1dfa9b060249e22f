import { describe, expect, it } from "vitest";
import type { UserStateStore } from "../../stores/store.js";
import { makeRecord } from "../make-record.js";
import { type CurrentStore, jsonBytes, uniqueUser } from "./support.js";

/** The optional user-state capability: each test skips for a store without it. */
export function describeUserState(store: CurrentStore): void {
  describe("user state (an optional capability)", () => {
    const states = (skip: () => void): UserStateStore => {
      const userState = store().userState;
      if (!userState) skip();
      return userState as UserStateStore;
    };

    it("is null for a user whose state was never written", async (context) => {
      const userState = states(() => context.skip());
      expect(await userState.get(uniqueUser())).toBeNull();
    });

    it("creates the state on the first patch (version 1), then merges key by key", async (context) => {
      const userState = states(() => context.skip());
      const user = uniqueUser();
      const now = Date.now();
      const first = await userState.patch(user, { set: { theme: "dark", language: "fr" }, now });
      expect(first).toStrictEqual({
        ok: true,
        record: { state: { theme: "dark", language: "fr" }, version: 1, updatedAt: now },
      });
      const second = await userState.patch(user, { set: { density: 2 }, unset: ["language"], now: now + 1 });
      expect(second).toStrictEqual({
        ok: true,
        record: { state: { theme: "dark", density: 2 }, version: 2, updatedAt: now + 1 },
      });
      expect(await userState.get(user)).toStrictEqual({
        state: { theme: "dark", density: 2 },
        version: 2,
        updatedAt: now + 1,
      });
    });

    it("keeps every one of 20 concurrent patches of different keys", async (context) => {
      const userState = states(() => context.skip());
      const user = uniqueUser();
      const now = Date.now();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => userState.patch(user, { set: { [`key${i}`]: i }, now })),
      );
      for (const result of results) expect(result.ok).toBe(true);
      const stored = await userState.get(user);
      expect(stored?.version).toBe(20);
      expect(Object.keys(stored?.state ?? {}).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `key${i}`).sort());
    });

    it("ifVersion is compare-and-set: 0 means never written; a stale one changes nothing", async (context) => {
      const userState = states(() => context.skip());
      const user = uniqueUser();
      const now = Date.now();
      expect(await userState.patch(user, { set: { a: 1 }, ifVersion: 3, now })).toEqual({
        ok: false,
        reason: "conflict",
      });
      expect(await userState.get(user)).toBeNull();
      expect((await userState.patch(user, { set: { a: 1 }, ifVersion: 0, now })).ok).toBe(true);
      expect(await userState.patch(user, { set: { a: 2 }, ifVersion: 0, now })).toEqual({
        ok: false,
        reason: "conflict",
      });
      expect((await userState.patch(user, { set: { a: 2 }, ifVersion: 1, now })).ok).toBe(true);
      expect(await userState.patch(user, { set: { a: 3 }, ifVersion: 1, now })).toEqual({
        ok: false,
        reason: "conflict",
      });
      expect(await userState.get(user)).toStrictEqual({ state: { a: 2 }, version: 2, updatedAt: now });
    });

    it("refuses a patch that would exceed maxStateBytes, changing nothing; exactly at the limit passes", async (context) => {
      const userState = states(() => context.skip());
      const user = uniqueUser();
      const now = Date.now();
      await userState.patch(user, { set: { keep: "me" }, now });
      const state = { keep: "me", big: "x".repeat(100) };
      const limit = jsonBytes(state);
      expect(await userState.patch(user, { set: { big: "x".repeat(101) }, maxStateBytes: limit, now })).toEqual({
        ok: false,
        reason: "too_large",
      });
      expect(
        await userState.patch(user, { set: { big: "x".repeat(101) }, ifVersion: 1, maxStateBytes: limit, now }),
      ).toEqual({ ok: false, reason: "too_large" });
      expect(await userState.get(user)).toStrictEqual({ state: { keep: "me" }, version: 1, updatedAt: now });
      const fits = await userState.patch(user, { set: { big: "x".repeat(100) }, maxStateBytes: limit, now });
      expect(fits.ok && fits.record.state).toStrictEqual(state);
      // Removing a key makes room in the same patch.
      const swapped = await userState.patch(user, {
        set: { other: "y".repeat(98) },
        unset: ["big"],
        maxStateBytes: limit,
        now,
      });
      expect(swapped.ok).toBe(true);
      const fresh = uniqueUser();
      expect(await userState.patch(fresh, { set: { big: "z".repeat(200) }, maxStateBytes: limit, now })).toEqual({
        ok: false,
        reason: "too_large",
      });
      expect(await userState.get(fresh)).toBeNull();
    });

    it("keeps strange keys and JSON values exactly", async (context) => {
      const userState = states(() => context.skip());
      const user = uniqueUser();
      const state = JSON.parse(
        '{"__proto__":{"polluted":true},"a.b":"dot","$":null,"\\"q\\"":false,"ключ":"значение","😀":[1,null,true,{"x":0.5}],"n":-12345678901234}',
      );
      await userState.patch(user, { set: state, now: Date.now() });
      const stored = await userState.get(user);
      expect(stored?.state).toStrictEqual(state);
      expect(Object.getOwnPropertyDescriptor(stored?.state, "__proto__")?.value).toEqual({ polluted: true });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it("insert writes a state exactly as it was (version and time kept) and never over one", async (context) => {
      const userState = states(() => context.skip());
      if (!userState.insert) return context.skip();
      const user = uniqueUser();
      const record = {
        state: JSON.parse('{"theme":"dark","__proto__":{"x":1},"n":[1,{"y":null}]}'),
        version: 7,
        updatedAt: 1_234,
      };
      expect(await userState.insert(user, record)).toBe(true);
      expect(await userState.get(user)).toStrictEqual(record);
      expect(await userState.insert(user, { state: { theme: "light" }, version: 1, updatedAt: 5 })).toBe(false);
      expect(await userState.get(user)).toStrictEqual(record);
      // A device's compare-and-set against the kept version goes on working.
      const next = await userState.patch(user, { set: { theme: "light" }, ifVersion: 7, now: 2_000 });
      expect(next.ok && next.record.version).toBe(8);
      const empty = uniqueUser();
      expect(await userState.insert(empty, { state: {}, version: 2, updatedAt: 3 })).toBe(true);
      expect(await userState.get(empty)).toStrictEqual({ state: {}, version: 2, updatedAt: 3 });
    });

    it("entries lists every user's state with its user, strange user ids included", async (context) => {
      const userState = states(() => context.skip());
      const { entries } = userState;
      if (!entries) return context.skip();
      // Characters a key pattern or a key layout could take for its own.
      const users = [uniqueUser(), `${uniqueUser()}}us:*?[a]\\é`, `${uniqueUser()} {x}`];
      const now = Date.now();
      for (const [i, user] of users.entries()) await userState.patch(user, { set: { i }, now });
      const deleted = uniqueUser();
      await userState.patch(deleted, { set: { gone: true }, now });
      await userState.delete(deleted);
      const listed = new Map<string, unknown>();
      for await (const entry of entries.call(userState)) {
        expect(listed.has(entry.userId)).toBe(false);
        listed.set(entry.userId, entry.record);
      }
      for (const [i, user] of users.entries()) {
        expect(listed.get(user)).toStrictEqual({ state: { i }, version: 1, updatedAt: now });
      }
      expect(listed.has(deleted)).toBe(false);
    });

    it("keeps users apart, outlives their sessions, and delete forgets one user", async (context) => {
      const userState = states(() => context.skip());
      const [alice, bob] = [uniqueUser(), uniqueUser()];
      const now = Date.now();
      await userState.patch(alice, { set: { theme: "dark" }, now });
      await userState.patch(bob, { set: { theme: "light" }, now });
      const session = makeRecord({ userId: alice });
      await store().create(session, { now });
      await store().deleteByUser(alice);
      expect((await userState.get(alice))?.state).toEqual({ theme: "dark" });
      expect(await userState.delete(alice)).toBe(true);
      expect(await userState.delete(alice)).toBe(false);
      expect(await userState.get(alice)).toBeNull();
      expect((await userState.get(bob))?.state).toEqual({ theme: "light" });
    });
  });
}
