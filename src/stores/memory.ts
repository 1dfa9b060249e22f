import { StoreConflictError } from "../core/errors.js";
import { memoryUserState } from "./memory-user-state.js";
import { applyKeys, changesData, changesState } from "./patch-keys.js";
import type { CompleteStore, JsonObject, SessionRecord } from "./store.js";

export interface MemoryStoreOptions {
  /** The most records kept; past it the least recently used one is dropped. Default 10,000. */
  maxEntries?: number;
}

/**
 * Sessions in this process only: lost on restart and not shared between workers. Bounded,
 * so a flood of anonymous visitors cannot grow it without limit; the least recently used
 * session is dropped first.
 *
 * @example
 * const stint = createStint({ store: memoryStore({ maxEntries: 1_000 }) });
 */
export function memoryStore(options: MemoryStoreOptions = {}): CompleteStore {
  const { maxEntries = 10_000 } = options;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError(`memoryStore: maxEntries must be a positive integer, got ${maxEntries}.`);
  }
  // Map iteration follows insertion order; re-inserting a record on use makes the first key
  // the least recently used one.
  const records = new Map<string, SessionRecord>();
  const byUser = new Map<string, Set<string>>();
  const userState = memoryUserState();

  const live = (id: string, now: number): SessionRecord | undefined => {
    const record = records.get(id);
    return record && record.expiresAt > now ? record : undefined;
  };

  const use = (record: SessionRecord): void => {
    records.delete(record.id);
    records.set(record.id, record);
  };

  const remove = (id: string): boolean => {
    const record = records.get(id);
    if (!record) return false;
    records.delete(id);
    if (record.userId !== null) {
      const ids = byUser.get(record.userId);
      ids?.delete(id);
      if (ids?.size === 0) byUser.delete(record.userId);
    }
    return true;
  };

  const read = (id: string, now: number): SessionRecord | null => {
    const record = live(id, now);
    if (!record) return null;
    use(record);
    return copyRecord(record);
  };

  const liveOfUser = (userId: string, now: number): SessionRecord[] => {
    const result: SessionRecord[] = [];
    for (const id of byUser.get(userId) ?? []) {
      const record = live(id, now);
      if (record) result.push(record);
    }
    return result;
  };

  return {
    kind: "memory",

    async create(input, { maxPerUser, replace, now }) {
      if (records.has(input.id)) throw new StoreConflictError();
      const replaced = replace !== undefined && live(replace.id, now) !== undefined;
      if (replace?.required && !replaced) return { created: false, replaced, evicted: [] };
      if (replace) remove(replace.id);
      const record = copyRecord(input);
      const evicted: string[] = [];
      if (record.userId !== null && maxPerUser !== undefined) {
        const others = liveOfUser(record.userId, now).sort(oldestFirst);
        for (const old of others.slice(0, Math.max(0, others.length - Math.max(0, maxPerUser - 1)))) {
          remove(old.id);
          evicted.push(old.id);
        }
      }
      records.set(record.id, record);
      if (record.userId !== null) {
        const ids = byUser.get(record.userId) ?? new Set<string>();
        byUser.set(record.userId, ids.add(record.id));
      }
      while (records.size > maxEntries) remove(records.keys().next().value as string);
      return { created: true, replaced, evicted };
    },

    async get(id, now) {
      return read(id, now);
    },

    peek: (id, now) => read(id, now),

    async patch(id, patch) {
      const record = live(id, patch.now);
      if (!record) return { ok: false, reason: "not_found" };
      if (patch.ifVersion !== undefined && patch.ifVersion !== record.version) return { ok: false, reason: "conflict" };
      const content = changesData(patch) || changesState(patch);
      const state = changesState(patch)
        ? applyKeys(record.state, patch.stateUnset, copyJson(patch.stateSet ?? {}))
        : record.state;
      if (patch.maxStateBytes !== undefined && Buffer.byteLength(JSON.stringify(state)) > patch.maxStateBytes) {
        return { ok: false, reason: "too_large" };
      }
      const next: SessionRecord = {
        ...record,
        data: changesData(patch) ? applyKeys(record.data, patch.dataUnset, copyJson(patch.dataSet ?? {})) : record.data,
        state,
        version: content ? record.version + 1 : record.version,
        updatedAt: content ? patch.now : record.updatedAt,
        lastSeenAt: Math.max(record.lastSeenAt, patch.lastSeenAt ?? record.lastSeenAt),
        expiresAt: patch.expiresAt ?? record.expiresAt,
      };
      use(next);
      return { ok: true, record: copyRecord(next) };
    },

    async delete(id) {
      return remove(id);
    },

    async listByUser(userId, now) {
      return liveOfUser(userId, now)
        .sort(newestFirst)
        .map((record) => copyRecord(record));
    },

    async deleteByUser(userId, options = {}) {
      const deleted = [...(byUser.get(userId) ?? [])].filter((id) => id !== options.except);
      for (const id of deleted) remove(id);
      return deleted;
    },

    async deleteExpired(now, limit) {
      // One pass over at most maxEntries records, deleting no more than `limit` of them.
      let deleted = 0;
      for (const record of records.values()) {
        if (deleted >= limit) break;
        if (record.expiresAt <= now && remove(record.id)) deleted++;
      }
      return deleted;
    },

    async count(now) {
      let count = 0;
      for (const record of records.values()) if (record.expiresAt > now) count++;
      return count;
    },

    async scan({ after, limit, now }) {
      const page: SessionRecord[] = [];
      for (const record of records.values()) {
        if (record.expiresAt > now && (after === undefined || record.id > after)) page.push(record);
      }
      return page
        .sort((a, b) => compare(a.id, b.id))
        .slice(0, Math.max(0, limit))
        .map((record) => copyRecord(record));
    },

    userState,

    async health() {
      return { ok: true, latencyMs: 0 };
    },

    async close() {
      records.clear();
      byUser.clear();
      userState.clear();
    },
  };
}

/**
 * A copy sharing nothing with `record`, as every call in and out of the store must be. Data
 * and state are JSON by contract, so a JSON round trip copies them exactly as the SQL stores
 * keep them, at a tenth of structuredClone's cost on the read path of every request; meta
 * holds only strings and nulls.
 */
function copyRecord(record: SessionRecord): SessionRecord {
  return { ...record, data: copyJson(record.data), state: copyJson(record.state), meta: { ...record.meta } };
}

// JSON.parse defines `__proto__` as an own key, so such keys survive the copy.
function copyJson(value: JsonObject): JsonObject {
  return JSON.parse(JSON.stringify(value));
}

function compare(a: string | number, b: string | number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function oldestFirst(a: SessionRecord, b: SessionRecord): number {
  return compare(a.createdAt, b.createdAt) || compare(a.id, b.id);
}

function newestFirst(a: SessionRecord, b: SessionRecord): number {
  return oldestFirst(b, a);
}
