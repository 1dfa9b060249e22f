import { describe, expect, it } from "vitest";
import { makeRecord } from "../make-record.js";
import { type CurrentStore, capability, createdEvicting, HOUR, idsOf, sleepUntil, uniqueUser } from "./support.js";

// Real time, not a fake clock: stores with native expiry (Redis TTL) must pass these too.
const SHORT = 300;

export function describeExpiry(store: CurrentStore): void {
  describe("expiry", () => {
    it("a record past expiresAt is gone for get, listByUser, count, scan, patch and maxPerUser", async () => {
      const now = Date.now();
      const user = uniqueUser();
      const expiring = makeRecord({ userId: user, expiresAt: now + SHORT });
      const lasting = makeRecord({ userId: user, createdAt: now - 1, expiresAt: now + HOUR });
      await Promise.all([expiring, lasting].map((record) => store().create(record, { now })));
      expect(await store().get(expiring.id, now)).toStrictEqual(expiring);
      const count = capability(store(), "count");
      const scan = capability(store(), "scan");
      const before = count ? await count(now) : 0;

      await sleepUntil(now + SHORT + 100);
      const later = Date.now();
      expect(await store().get(expiring.id, later)).toBeNull();
      expect(idsOf(await store().listByUser(user, later))).toEqual([lasting.id]);
      if (count) expect(await count(later)).toBe(before - 1);
      if (scan) expect(idsOf(await scan({ limit: 1_000, now: later }))).not.toContain(expiring.id);
      const change = await store().patch(expiring.id, { dataSet: { a: 1 }, now: later });
      const touch = await store().patch(expiring.id, { lastSeenAt: later, expiresAt: later + HOUR, now: later });
      expect([change, touch]).toEqual([
        { ok: false, reason: "not_found" },
        { ok: false, reason: "not_found" },
      ]);
      const fresh = makeRecord({ userId: user, createdAt: later });
      expect(await store().create(fresh, { now: later, maxPerUser: 2 })).toEqual(createdEvicting());
      expect(idsOf(await store().listByUser(user, later))).toEqual([fresh.id, lasting.id]);
      expect(await store().get(expiring.id, Date.now())).toBeNull();
    });

    it("deleteExpired deletes at most `limit` per call until none are left, and keeps live records", async () => {
      const now = Date.now();
      const expiring = Array.from({ length: 25 }, () => makeRecord({ expiresAt: now + SHORT }));
      const lasting = Array.from({ length: 5 }, () => makeRecord({ expiresAt: now + HOUR }));
      await Promise.all([...expiring, ...lasting].map((record) => store().create(record, { now })));

      await sleepUntil(now + SHORT + 100);
      const later = Date.now();
      const deleted: number[] = [];
      for (let call = 0; call < 4; call++) deleted.push(await store().deleteExpired(later, 10));
      expect(deleted).toEqual([10, 10, 5, 0]);
      // Asked at creation time, a record that still existed would be returned: these are deleted.
      const gone = await Promise.all(expiring.map((record) => store().get(record.id, now)));
      expect(gone.every((record) => record === null)).toBe(true);
      const kept = await Promise.all(lasting.map((record) => store().get(record.id, later)));
      expect(kept).toStrictEqual(lasting);
    });
  });
}
