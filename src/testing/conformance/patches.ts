import { describe, expect, it } from "vitest";
import { makeRecord } from "../make-record.js";
import { type CurrentStore, HOUR, jsonBytes } from "./support.js";

export function describePatches(store: CurrentStore): void {
  describe("patch", () => {
    it("sets and unsets keys, bumps the version and returns the record", async () => {
      const now = Date.now();
      const record = makeRecord({ data: { a: 1, b: 2 }, state: { x: "1", y: "2" } });
      await store().create(record, { now });
      const result = await store().patch(record.id, {
        dataSet: { b: 20, c: 3 },
        dataUnset: ["a", "never-set"],
        stateSet: { z: null },
        stateUnset: ["x"],
        now: now + 5,
      });
      const expected = {
        ...record,
        data: { b: 20, c: 3 },
        state: { y: "2", z: null },
        version: record.version + 1,
        updatedAt: now + 5,
      };
      expect(result).toStrictEqual({ ok: true, record: expected });
      expect(await store().get(record.id, now)).toStrictEqual(expected);
    });

    it("applies unset before set, so a key in both ends up set", async () => {
      const now = Date.now();
      const record = makeRecord({ data: { k: 1 } });
      await store().create(record, { now });
      await store().patch(record.id, { dataUnset: ["k"], dataSet: { k: 2 }, now });
      expect((await store().get(record.id, now))?.data).toEqual({ k: 2 });
    });

    it("replaces an object value whole, without deep merge", async () => {
      const now = Date.now();
      const record = makeRecord({ data: { prefs: { theme: "dark", layout: { cols: 2 } }, keep: true } });
      await store().create(record, { now });
      await store().patch(record.id, { dataSet: { prefs: { layout: { rows: 3 }, extra: null } }, now });
      const data = (await store().get(record.id, now))?.data;
      expect(data).toStrictEqual({ prefs: { layout: { rows: 3 }, extra: null }, keep: true });
    });

    it("a touch keeps the version and never moves lastSeenAt backwards", async () => {
      const now = Date.now();
      const record = makeRecord();
      await store().create(record, { now });
      const touched = { ...record, lastSeenAt: now + 1_000, expiresAt: now + 2 * HOUR };
      const touch = { lastSeenAt: now + 1_000, expiresAt: now + 2 * HOUR, now: now + 1_000 };
      expect(await store().patch(record.id, touch)).toStrictEqual({ ok: true, record: touched });
      const backward = await store().patch(record.id, { lastSeenAt: now + 500, now: now + 2_000 });
      expect(backward).toStrictEqual({ ok: true, record: touched });
      expect(await store().get(record.id, now)).toStrictEqual(touched);
    });

    it("a stale ifVersion is a conflict and changes nothing", async () => {
      const now = Date.now();
      const record = makeRecord({ data: { a: 1 } });
      await store().create(record, { now });
      const stale = { dataSet: { a: 2 }, lastSeenAt: now + 1_000, ifVersion: record.version + 1, now };
      expect(await store().patch(record.id, stale)).toEqual({ ok: false, reason: "conflict" });
      expect(await store().get(record.id, now)).toStrictEqual(record);
    });

    it("a matching ifVersion applies, and the old version is then stale", async () => {
      const now = Date.now();
      const record = makeRecord({ data: { a: 1 } });
      await store().create(record, { now });
      const result = await store().patch(record.id, { dataSet: { a: 2 }, ifVersion: record.version, now });
      expect(result.ok && result.record.version).toBe(record.version + 1);
      const again = await store().patch(record.id, { dataSet: { a: 3 }, ifVersion: record.version, now });
      expect(again).toEqual({ ok: false, reason: "conflict" });
      expect((await store().get(record.id, now))?.data).toEqual({ a: 2 });
    });

    it("two concurrent patches of different keys both survive", async () => {
      const now = Date.now();
      const record = makeRecord();
      await store().create(record, { now });
      const results = await Promise.all([
        store().patch(record.id, { dataSet: { left: 1 }, now }),
        store().patch(record.id, { dataSet: { right: 2 }, now }),
      ]);
      expect(results.map((result) => result.ok)).toEqual([true, true]);
      const stored = await store().get(record.id, now);
      expect(stored?.data).toEqual({ left: 1, right: 2 });
      expect(stored?.version).toBe(record.version + 2);
    });

    it("50 concurrent patches of different keys all survive", async () => {
      const now = Date.now();
      const record = makeRecord();
      await store().create(record, { now });
      const keys = Array.from({ length: 50 }, (_, i) => `key-${i}`);
      const results = await Promise.all(
        keys.map((key, i) =>
          i % 2 === 0
            ? store().patch(record.id, { dataSet: { [key]: i }, now })
            : store().patch(record.id, { stateSet: { [key]: i }, now }),
        ),
      );
      expect(results.every((result) => result.ok)).toBe(true);
      const stored = await store().get(record.id, now);
      expect(Object.keys({ ...stored?.data, ...stored?.state }).sort()).toEqual([...keys].sort());
      expect(stored?.version).toBe(record.version + 50);
    });

    it("patch of an unknown id is not_found and creates nothing", async () => {
      const now = Date.now();
      const { id } = makeRecord();
      expect(await store().patch(id, { dataSet: { a: 1 }, now })).toEqual({ ok: false, reason: "not_found" });
      expect(await store().get(id, now)).toBeNull();
    });

    it("never resurrects: patch and touch after delete are not_found", async () => {
      const now = Date.now();
      const record = makeRecord();
      await store().create(record, { now });
      await store().delete(record.id);
      const change = await store().patch(record.id, { dataSet: { a: 1 }, now });
      const touch = await store().patch(record.id, { lastSeenAt: now + 1, expiresAt: now + HOUR, now });
      expect([change, touch]).toEqual([
        { ok: false, reason: "not_found" },
        { ok: false, reason: "not_found" },
      ]);
      expect(await store().get(record.id, now)).toBeNull();
    });

    it("never resurrects: a touch racing a delete leaves the record deleted", async () => {
      const now = Date.now();
      const record = makeRecord();
      await store().create(record, { now });
      await Promise.all([
        store().delete(record.id),
        store().patch(record.id, { lastSeenAt: now + 1, expiresAt: now + HOUR, now }),
      ]);
      expect(await store().get(record.id, now)).toBeNull();
    });

    it("maxStateBytes: a patch that makes state too large is refused and changes nothing", async () => {
      const now = Date.now();
      const record = makeRecord({ data: { d: 1 }, state: { small: "x" } });
      await store().create(record, { now });
      const result = await store().patch(record.id, {
        stateSet: { big: "y".repeat(1_000) },
        dataSet: { d: 2 },
        lastSeenAt: now + 1_000,
        maxStateBytes: 500,
        now,
      });
      expect(result).toEqual({ ok: false, reason: "too_large" });
      expect(await store().get(record.id, now)).toStrictEqual(record);
    });

    it("maxStateBytes counts UTF-8 bytes of the JSON and accepts exactly the limit", async () => {
      const now = Date.now();
      const record = makeRecord({ state: { small: "x" } });
      await store().create(record, { now });
      const limit = jsonBytes({ small: "x", big: "é".repeat(100) });
      const over = await store().patch(record.id, { stateSet: { big: "é".repeat(101) }, maxStateBytes: limit, now });
      expect(over).toEqual({ ok: false, reason: "too_large" });
      const exact = await store().patch(record.id, { stateSet: { big: "é".repeat(100) }, maxStateBytes: limit, now });
      expect(exact.ok).toBe(true);
    });
  });
}
