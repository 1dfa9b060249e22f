import { describe, expect, it } from "vitest";
import type { AttemptCounts } from "../../stores/store.js";
import { type CurrentStore, uniqueUser } from "./support.js";

const WINDOW = 60_000;

/** The optional attempt-count capability: each test skips for a store without it. */
export function describeAttempts(store: CurrentStore): void {
  describe("attempt counts (an optional capability)", () => {
    const counts = (skip: () => void): AttemptCounts => {
      const attempts = store().attempts;
      if (!attempts) skip();
      return attempts as AttemptCounts;
    };

    it("a key has no window until its first attempt, which opens one", async (context) => {
      const attempts = counts(() => context.skip());
      const key = uniqueUser();
      const now = Date.now();
      expect(await attempts.get(key, WINDOW, now)).toBeNull();
      expect(await attempts.take(key, 3, WINDOW, now)).toEqual({ taken: true, count: 0, pending: 1, startedAt: now });
      expect(await attempts.get(key, WINDOW, now + 1)).toEqual({ count: 0, pending: 1, startedAt: now });
    });

    it("of 20 concurrent takes against a limit of 5, exactly 5 are taken", async (context) => {
      const attempts = counts(() => context.skip());
      const key = uniqueUser();
      const now = Date.now();
      const takes = await Promise.all(Array.from({ length: 20 }, () => attempts.take(key, 5, WINDOW, now)));
      expect(takes.filter((take) => take.taken)).toHaveLength(5);
      for (const refused of takes.filter((take) => !take.taken)) {
        expect(refused).toEqual({ taken: false, count: 0, pending: 5, startedAt: now });
      }
      expect(await attempts.get(key, WINDOW, now)).toEqual({ count: 0, pending: 5, startedAt: now });
    });

    it("settling: a failure counts, a freed attempt gives its place back", async (context) => {
      const attempts = counts(() => context.skip());
      const key = uniqueUser();
      const now = Date.now();
      for (let i = 0; i < 3; i++) await attempts.take(key, 3, WINDOW, now);
      expect((await attempts.take(key, 3, WINDOW, now)).taken).toBe(false);
      await attempts.settle(key, "fail", WINDOW, now);
      await attempts.settle(key, "free", WINDOW, now);
      expect(await attempts.get(key, WINDOW, now)).toEqual({ count: 1, pending: 1, startedAt: now });
      expect((await attempts.take(key, 3, WINDOW, now)).taken).toBe(true);
      expect((await attempts.take(key, 3, WINDOW, now)).taken).toBe(false);
      // Never below zero: more settles than takes change only the count.
      for (let i = 0; i < 4; i++) await attempts.settle(key, "free", WINDOW, now);
      expect(await attempts.get(key, WINDOW, now)).toEqual({ count: 1, pending: 0, startedAt: now });
    });

    it("add counts a failure that was not taken, even past the limit", async (context) => {
      const attempts = counts(() => context.skip());
      const key = uniqueUser();
      const now = Date.now();
      for (let i = 0; i < 4; i++) await attempts.add(key, WINDOW, now + i);
      expect(await attempts.get(key, WINDOW, now)).toEqual({ count: 4, pending: 0, startedAt: now });
      expect(await attempts.take(key, 3, WINDOW, now)).toEqual({ taken: false, count: 4, pending: 0, startedAt: now });
    });

    it("a full window refuses until it has passed; then the next take opens a new one", async (context) => {
      const attempts = counts(() => context.skip());
      const key = uniqueUser();
      const now = Date.now();
      await attempts.add(key, WINDOW, now);
      expect((await attempts.take(key, 1, WINDOW, now + WINDOW - 1)).taken).toBe(false);
      expect(await attempts.get(key, WINDOW, now + WINDOW)).toBeNull();
      expect(await attempts.take(key, 1, WINDOW, now + WINDOW)).toEqual({
        taken: true,
        count: 0,
        pending: 1,
        startedAt: now + WINDOW,
      });
    });

    it("reset forgets one key and no other", async (context) => {
      const attempts = counts(() => context.skip());
      const key = uniqueUser();
      const other = uniqueUser();
      const now = Date.now();
      await attempts.add(key, WINDOW, now);
      await attempts.add(other, WINDOW, now);
      await attempts.reset(key);
      expect(await attempts.get(key, WINDOW, now)).toBeNull();
      expect(await attempts.get(other, WINDOW, now)).toEqual({ count: 1, pending: 0, startedAt: now });
    });

    it("keys are exact text: case, a NUL and an address are their own keys", async (context) => {
      const attempts = counts(() => context.skip());
      const base = uniqueUser();
      const now = Date.now();
      const keys = [base, base.toUpperCase(), `${base}\u0000x`, `${base}:203.0.113.7`];
      for (const key of keys) await attempts.add(key, WINDOW, now);
      for (const key of keys)
        expect(await attempts.get(key, WINDOW, now)).toEqual({ count: 1, pending: 0, startedAt: now });
    });
  });
}
