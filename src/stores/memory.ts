import { StoreConflictError } from "../core/errors.js";
import { utf8Bytes } from "../core/utf8.js";
import { memoryUserState } from "./memory-user-state.js";
import { applyKeys, changesData, changesState } from "./patch-keys.js";
import { parseStored } from "./record-check.js";
import type { CompleteStore, SessionRecord } from "./store.js";

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
  const records = new Map<string, Stored>();
  const byUser = new Map<string, Set<string>>();
  const userState = memoryUserState();

  const live = (id: string, now: number): Stored | undefined => {
    const record = records.get(id);
    return record && record.expiresAt > now ? record : undefined;
  };

  const use = (record: Stored): void => {
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
    return thaw(record);
  };

  const liveOfUser = (userId: string, now: number): Stored[] => {
    const result: Stored[] = [];
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
      const record = store(input);
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
        ? JSON.stringify(applyKeys(JSON.parse(record.state), patch.stateUnset, patch.stateSet))
        : record.state;
      if (patch.maxStateBytes !== undefined && utf8Bytes(state) > patch.maxStateBytes) {
        return { ok: false, reason: "too_large" };
      }
      const data = changesData(patch)
        ? JSON.stringify(applyKeys(JSON.parse(record.data), patch.dataUnset, patch.dataSet))
        : record.data;
      const next: Stored = {
        ...record,
        data,
        state,
        version: content ? record.version + 1 : record.version,
        updatedAt: content ? patch.now : record.updatedAt,
        lastSeenAt: Math.max(record.lastSeenAt, patch.lastSeenAt ?? record.lastSeenAt),
        expiresAt: patch.expiresAt ?? record.expiresAt,
      };
      use(next);
      return { ok: true, record: thaw(next) };
    },

    async delete(id) {
      return remove(id);
    },

    async listByUser(userId, now) {
      return liveOfUser(userId, now).sort(newestFirst).map(thaw);
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
      const page: Stored[] = [];
      for (const record of records.values()) {
        if (record.expiresAt > now && (after === undefined || record.id > after)) page.push(record);
      }
      return page
        .sort((a, b) => compare(a.id, b.id))
        .slice(0, Math.max(0, limit))
        .map(thaw);
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
 * A record as this store keeps it: data and state as JSON text, as the SQL stores keep them.
 * Nothing is shared with a caller: a write stringifies, every read parses a fresh copy (JSON
 * by contract, so the round trip is exact), and meta holds only strings and nulls.
 */
type Stored = Omit<SessionRecord, "data" | "state"> & { data: string; state: string };

function store(record: SessionRecord): Stored {
  return {
    ...record,
    data: JSON.stringify(record.data),
    state: JSON.stringify(record.state),
    meta: { ...record.meta },
  };
}

// JSON.parse defines `__proto__` as an own key, so such keys survive.
function thaw(stored: Stored): SessionRecord {
  return { ...stored, data: parseStored(stored.data), state: parseStored(stored.state), meta: { ...stored.meta } };
}

function compare(a: string | number, b: string | number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

type Ordered = Pick<SessionRecord, "createdAt" | "id">;

function oldestFirst(a: Ordered, b: Ordered): number {
  return compare(a.createdAt, b.createdAt) || compare(a.id, b.id);
}

function newestFirst(a: Ordered, b: Ordered): number {
  return oldestFirst(b, a);
}
