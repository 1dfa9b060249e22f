import { describe, expect, it } from "vitest";
import { memoryStore } from "../../src/stores/memory.js";
import type { SessionRecord, Store } from "../../src/stores/store.js";
import { makeRecord } from "../../src/testing.js";

const now = Date.now();

async function liveIds(store: Store): Promise<string[]> {
  return ((await store.scan?.({ limit: 10_000, now })) ?? []).map((record) => record.id).sort();
}

const idsOf = (records: SessionRecord[]) => records.map((record) => record.id).sort();

describe("memoryStore", () => {
  it("keeps at most maxEntries records, dropping the least recently used", async () => {
    const store = memoryStore({ maxEntries: 100 });
    const hot = makeRecord();
    await store.create(hot, { now });
    const created: SessionRecord[] = [];
    for (let i = 0; i < 999; i++) {
      const record = makeRecord();
      await store.create(record, { now });
      created.push(record);
      await store.get(hot.id, now);
    }
    expect(await store.count(now)).toBe(100);
    expect(await liveIds(store)).toEqual(idsOf([hot, ...created.slice(-99)]));
  });

  it("counts a patch as use", async () => {
    const store = memoryStore({ maxEntries: 3 });
    const [first, second, third, fourth] = [makeRecord(), makeRecord(), makeRecord(), makeRecord()];
    for (const record of [first, second, third]) await store.create(record, { now });
    await store.patch(first.id, { lastSeenAt: now + 1, now });
    await store.create(fourth, { now });
    expect(await liveIds(store)).toEqual(idsOf([first, third, fourth]));
  });

  it("leaves no dangling ids in the per-user index after eviction", async () => {
    const store = memoryStore({ maxEntries: 10 });
    const user = "evicted-user";
    const early = Array.from({ length: 10 }, () => makeRecord({ userId: user }));
    for (const record of early) await store.create(record, { now });
    for (let i = 0; i < 10; i++) await store.create(makeRecord(), { now });
    expect(await store.listByUser(user, now)).toEqual([]);
    expect(await store.deleteByUser(user)).toEqual([]);

    const late = Array.from({ length: 4 }, () => makeRecord({ userId: user }));
    for (const record of late) await store.create(record, { now });
    expect(idsOf(await store.listByUser(user, now))).toEqual(idsOf(late));
    expect((await store.deleteByUser(user)).sort()).toEqual(idsOf(late));
  });

  it("refuses a maxEntries that is not a positive integer", () => {
    expect(() => memoryStore({ maxEntries: 0 })).toThrow(RangeError);
    expect(() => memoryStore({ maxEntries: 1.5 })).toThrow(/positive integer/);
  });
});
