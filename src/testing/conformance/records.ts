import { describe, expect, it } from "vitest";
import { StoreConflictError } from "../../core/errors.js";
import type { SessionRecord } from "../../stores/store.js";
import { makeRecord } from "../make-record.js";
import { type CurrentStore, capability, createdEvicting, HOUR, idsOf, uniqueUser } from "./support.js";

export function describeRecords(store: CurrentStore): void {
  describe("records", () => {
    it("create then get returns every field", async () => {
      const now = Date.now();
      const record = makeRecord({
        userId: uniqueUser(),
        authenticatedAt: now - 1_000,
        persistent: true,
        version: 3,
        data: { cart: ["apple"], step: 2 },
        state: { theme: "dark" },
        meta: { userAgent: "Mozilla/5.0 (X11; Linux x86_64)", ip: "2001:db8::1", fingerprint: "fp-abc_123" },
      });
      await expect(store().create(record, { now })).resolves.toEqual(createdEvicting());
      expect(await store().get(record.id, now)).toStrictEqual(record);
    });

    it("create then get keeps an anonymous, non-persistent record with empty meta", async () => {
      const now = Date.now();
      const record = makeRecord({ userId: null, persistent: false, authenticatedAt: null });
      await store().create(record, { now });
      expect(await store().get(record.id, now)).toStrictEqual(record);
    });

    it("get of an unknown id is null", async () => {
      expect(await store().get(makeRecord().id, Date.now())).toBeNull();
    });

    it("create of an existing id fails with StoreConflictError and keeps the original", async () => {
      const now = Date.now();
      const record = makeRecord({ data: { original: true } });
      await store().create(record, { now });
      const duplicate = makeRecord({ id: record.id, data: { original: false } });
      await expect(store().create(duplicate, { now })).rejects.toBeInstanceOf(StoreConflictError);
      expect(await store().get(record.id, now)).toStrictEqual(record);
    });

    it("records are copies: changing what was given or returned leaves the store alone", async () => {
      const now = Date.now();
      const record = makeRecord({ data: { list: [1] } });
      await store().create(record, { now });
      (record.data.list as number[]).push(2);
      const read = await store().get(record.id, now);
      expect(read?.data).toEqual({ list: [1] });
      (read?.data.list as number[] | undefined)?.push(3);
      // A store that keeps records in memory answers a second read from there: still a copy.
      const again = await store().get(record.id, now);
      if (again) again.meta.userAgent = "changed";
      expect((await store().get(record.id, now))?.meta).toEqual(record.meta);
      const set = { nested: { a: 1 } };
      const result = await store().patch(record.id, { dataSet: set, now });
      set.nested.a = 2;
      if (result.ok) result.record.data.nested = "changed";
      expect((await store().get(record.id, now))?.data).toEqual({ list: [1], nested: { a: 1 } });
    });

    it("delete returns true, then false", async () => {
      const now = Date.now();
      const record = makeRecord();
      await store().create(record, { now });
      expect(await store().delete(record.id)).toBe(true);
      expect(await store().get(record.id, now)).toBeNull();
      expect(await store().delete(record.id)).toBe(false);
    });

    it("peek (an optional capability), when it answers, agrees with get, before and after changes", async (context) => {
      const peek = capability(store(), "peek");
      if (!peek) return context.skip();
      const now = Date.now();
      const record = makeRecord({ data: { n: 1 } });
      await store().create(record, { now });
      const agrees = async () => {
        const known = peek(record.id, now);
        if (known !== undefined) expect(known).toStrictEqual(await store().get(record.id, now));
      };
      await agrees();
      await store().get(record.id, now);
      await agrees();
      await store().patch(record.id, { dataSet: { n: 2 }, now });
      await agrees();
      await store().get(record.id, now);
      await store().delete(record.id);
      expect(peek(record.id, now) ?? null).toBeNull();
      expect(peek(makeRecord().id, now) ?? null).toBeNull();
    });

    it("count counts live sessions (an optional capability)", async (context) => {
      const count = capability(store(), "count");
      if (!count) return context.skip();
      const now = Date.now();
      const before = await count(now);
      const records = [makeRecord(), makeRecord({ userId: uniqueUser() }), makeRecord({ persistent: true })];
      await Promise.all(records.map((record) => store().create(record, { now })));
      expect(await count(now)).toBe(before + 3);
      await store().delete(records[0]!.id);
      expect(await count(now)).toBe(before + 2);
    });

    it("scan pages through live records in id order (an optional capability)", async (context) => {
      const scan = capability(store(), "scan");
      if (!scan) return context.skip();
      const now = Date.now();
      const records = Array.from({ length: 7 }, () => makeRecord({ expiresAt: now + HOUR }));
      await Promise.all(records.map((record) => store().create(record, { now })));
      const seen: SessionRecord[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await scan({ after, limit: 3, now });
        expect(page.length).toBeLessThanOrEqual(3);
        if (page.length === 0) break;
        seen.push(...page);
        after = page.at(-1)?.id;
      }
      const ids = idsOf(seen);
      for (let i = 1; i < ids.length; i++) expect(ids[i - 1]! < ids[i]!).toBe(true);
      const ours = new Set(idsOf(records));
      const byId = (a: SessionRecord, b: SessionRecord) => (a.id < b.id ? -1 : 1);
      expect(seen.filter((record) => ours.has(record.id))).toStrictEqual(records.sort(byId));
    });

    it("health reports ok with a latency in milliseconds", async () => {
      const health = await store().health();
      expect(health.ok).toBe(true);
      expect(typeof health.latencyMs).toBe("number");
      expect(health.latencyMs).toBeGreaterThanOrEqual(0);
    });
  });
}
