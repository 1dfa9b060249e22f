import { jsonBytes } from "../core/utf8.js";
import { applyKeys } from "./patch-keys.js";
import type { UserStatePatch, UserStatePatchResult, UserStateRecord } from "./store.js";

/**
 * A user-state patch applied to the record a store holds in this process or read inside its
 * write transaction (memory, file, SQLite): the contract's rules in one pure function. The
 * result shares nothing with `patch`.
 */
export function applyUserStatePatch(current: UserStateRecord | null, patch: UserStatePatch): UserStatePatchResult {
  const version = current?.version ?? 0;
  if (patch.ifVersion !== undefined && patch.ifVersion !== version) return { ok: false, reason: "conflict" };
  const state = applyKeys(current?.state ?? {}, patch.unset, copyJson(patch.set ?? {}));
  if (patch.maxStateBytes !== undefined && jsonBytes(state) > patch.maxStateBytes) {
    return { ok: false, reason: "too_large" };
  }
  return { ok: true, record: { state, version: version + 1, updatedAt: patch.now } };
}

// JSON.parse defines `__proto__` as an own key, so such keys survive the copy.
function copyJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
