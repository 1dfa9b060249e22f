import type { UserStateRecord, UserStateStore } from "./store.js";
import { applyUserStatePatch } from "./user-state-patch.js";

/** User states in this process only, beside `memoryStore`'s sessions. */
export function memoryUserState(): UserStateStore & { clear(): void } {
  const states = new Map<string, UserStateRecord>();
  const copy = (record: UserStateRecord): UserStateRecord => ({
    ...record,
    state: JSON.parse(JSON.stringify(record.state)),
  });
  return {
    async get(userId) {
      const record = states.get(userId);
      return record ? copy(record) : null;
    },
    async patch(userId, patch) {
      const result = applyUserStatePatch(states.get(userId) ?? null, patch);
      if (!result.ok) return result;
      states.set(userId, result.record);
      return { ok: true, record: copy(result.record) };
    },
    async delete(userId) {
      return states.delete(userId);
    },
    async *entries() {
      // A copy of the keys: a state written while the caller iterates is not a concurrent change.
      for (const userId of [...states.keys()]) {
        const record = states.get(userId);
        if (record) yield { userId, record: copy(record) };
      }
    },
    async insert(userId, record) {
      if (states.has(userId)) return false;
      states.set(userId, copy(record));
      return true;
    },
    clear() {
      states.clear();
    },
  };
}
