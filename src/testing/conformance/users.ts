import { describe, expect, it } from "vitest";
import type { SessionRecord } from "../../stores/store.js";
import { makeRecord } from "../make-record.js";
import { type CurrentStore, createdEvicting, idsOf, uniqueUser } from "./support.js";

export function describeUsers(store: CurrentStore): void {
  describe("per-user index", () => {
    it("listByUser gives only that user's sessions, newest first", async () => {
      const now = Date.now();
      const user = uniqueUser();
      const mine = [
        makeRecord({ userId: user, createdAt: now - 2_000 }),
        makeRecord({ userId: user, createdAt: now }),
        makeRecord({ userId: user, createdAt: now - 1_000 }),
      ];
      const others = [makeRecord({ userId: uniqueUser() }), makeRecord()];
      await Promise.all([...mine, ...others].map((record) => store().create(record, { now })));
      const listed = await store().listByUser(user, now);
      expect(listed).toStrictEqual([mine[1], mine[2], mine[0]]);
      expect(await store().listByUser(uniqueUser(), now)).toEqual([]);
    });

    it("deleteByUser deletes all but `except`, then all", async () => {
      const now = Date.now();
      const user = uniqueUser();
      const mine = [makeRecord({ userId: user }), makeRecord({ userId: user }), makeRecord({ userId: user })];
      const other = makeRecord({ userId: uniqueUser() });
      await Promise.all([...mine, other].map((record) => store().create(record, { now })));
      const kept = mine[0]!;
      const deleted = await store().deleteByUser(user, { except: kept.id });
      expect(deleted.sort()).toEqual(idsOf(mine.slice(1)).sort());
      expect(idsOf(await store().listByUser(user, now))).toEqual([kept.id]);
      expect(await store().deleteByUser(user)).toEqual([kept.id]);
      expect(await store().listByUser(user, now)).toEqual([]);
      expect(await store().get(kept.id, now)).toBeNull();
      expect(await store().get(other.id, now)).toStrictEqual(other);
      expect(await store().deleteByUser(user)).toEqual([]);
    });

    it("stays exact under concurrent creates and deletes of one user", async () => {
      const now = Date.now();
      const user = uniqueUser();
      const early = Array.from({ length: 15 }, () => makeRecord({ userId: user }));
      await Promise.all(early.map((record) => store().create(record, { now })));
      const late = Array.from({ length: 30 }, () => makeRecord({ userId: user }));
      await Promise.all([
        ...late.map((record) => store().create(record, { now })),
        ...early.map((record) => store().delete(record.id)),
      ]);
      const expected = idsOf(late).sort();
      expect(idsOf(await store().listByUser(user, now)).sort()).toEqual(expected);
      expect((await store().deleteByUser(user)).sort()).toEqual(expected);
      expect(await store().listByUser(user, now)).toEqual([]);
    });

    it("maxPerUser deletes the oldest sessions of that user and returns their ids, oldest first", async () => {
      const now = Date.now();
      const user = uniqueUser();
      const oldest = makeRecord({ userId: user, createdAt: now - 3_000 });
      const older = makeRecord({ userId: user, createdAt: now - 2_000 });
      const newer = makeRecord({ userId: user, createdAt: now - 1_000 });
      const stranger = makeRecord({ userId: uniqueUser(), createdAt: now - 5_000 });
      const anonymous = makeRecord({ createdAt: now - 5_000 });
      for (const record of [oldest, older, newer, stranger, anonymous]) await store().create(record, { now });
      const fresh = makeRecord({ userId: user, createdAt: now });
      expect(await store().create(fresh, { now, maxPerUser: 2 })).toEqual(createdEvicting([oldest.id, older.id]));
      expect(idsOf(await store().listByUser(user, now))).toEqual([fresh.id, newer.id]);
      expect(await store().get(oldest.id, now)).toBeNull();
      expect(await store().get(stranger.id, now)).toStrictEqual(stranger);
      expect(await store().get(anonymous.id, now)).toStrictEqual(anonymous);
      const within = makeRecord({ userId: uniqueUser() });
      expect(await store().create(within, { now, maxPerUser: 2 })).toEqual(createdEvicting());
      expect(await store().create(makeRecord(), { now, maxPerUser: 1 })).toEqual(createdEvicting());
      expect(await store().get(anonymous.id, now)).toStrictEqual(anonymous);
    });

    it("replace deletes the session it replaces in the same step, and does not count it against maxPerUser", async () => {
      const now = Date.now();
      const user = uniqueUser();
      const [a, b] = [
        makeRecord({ userId: user, createdAt: now - 2_000 }),
        makeRecord({ userId: user, createdAt: now - 1_000 }),
      ];
      for (const record of [a, b]) await store().create(record, { now });
      const successor = makeRecord({ userId: user, createdAt: now });
      const replace = { id: a.id, required: true };
      expect(await store().create(successor, { now, maxPerUser: 2, replace })).toEqual({
        created: true,
        replaced: true,
        evicted: [],
      });
      expect(idsOf(await store().listByUser(user, now))).toEqual([successor.id, b.id]);
      expect(await store().get(a.id, now)).toBeNull();
    });

    it("a required replace of a session that is gone creates nothing; an optional one creates anyway", async () => {
      const now = Date.now();
      const user = uniqueUser();
      const gone = makeRecord({ userId: user });
      const expired = makeRecord({ userId: user, expiresAt: now - 1 });
      await store().create(expired, { now: now - 10 });
      const rotated = makeRecord({ userId: user });
      expect(await store().create(rotated, { now, replace: { id: gone.id, required: true } })).toEqual({
        created: false,
        replaced: false,
        evicted: [],
      });
      expect(await store().create(rotated, { now, replace: { id: expired.id, required: true } })).toEqual({
        created: false,
        replaced: false,
        evicted: [],
      });
      expect(await store().get(rotated.id, now)).toBeNull();
      const signedIn = makeRecord({ userId: user });
      expect(await store().create(signedIn, { now, replace: { id: gone.id, required: false } })).toEqual(
        createdEvicting(),
      );
      expect(idsOf(await store().listByUser(user, now))).toEqual([signedIn.id]);
    });

    it("a sign-in from the oldest session racing a fresh sign-in never leaves more than maxPerUser", async () => {
      const user = uniqueUser();
      for (let round = 0; round < 10; round++) {
        const now = Date.now() + round;
        await store().deleteByUser(user);
        const existing = [0, 1, 2].map((age) => makeRecord({ userId: user, createdAt: now - 3_000 + age * 1_000 }));
        for (const record of existing) await store().create(record, { now });
        const oldest = existing[0] as SessionRecord;
        await Promise.all([
          store().create(makeRecord({ userId: user, createdAt: now }), {
            now,
            maxPerUser: 3,
            replace: { id: oldest.id, required: false },
          }),
          store().create(makeRecord({ userId: user, createdAt: now }), { now, maxPerUser: 3 }),
        ]);
        expect((await store().listByUser(user, now)).length).toBeLessThanOrEqual(3);
      }
    });

    it("maxPerUser breaks createdAt ties by id", async () => {
      const now = Date.now();
      const user = uniqueUser();
      const prefix = makeRecord().id;
      const tied = (suffix: string) => makeRecord({ id: `${prefix}-${suffix}`, userId: user, createdAt: now });
      const [a, b, c] = [tied("a"), tied("b"), tied("c")];
      for (const record of [c, a, b]) await store().create(record, { now });
      const fresh = tied("0");
      expect(await store().create(fresh, { now, maxPerUser: 2 })).toEqual(createdEvicting([a.id, b.id]));
      expect(idsOf(await store().listByUser(user, now)).sort()).toEqual([fresh.id, c.id].sort());
    });
  });
}
