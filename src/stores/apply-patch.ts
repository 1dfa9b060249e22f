import { jsonBytes } from "../core/utf8.js";
import { applyKeys, changesData, changesState } from "./patch-keys.js";
import type { PatchResult, SessionPatch, SessionRecord } from "./store.js";

/**
 * A patch applied to a record held in this process (file store; the memory store could
 * share it): the contract's rules in one pure function. `record` is the stored one or
 * undefined; the result's record is a new object sharing nothing with `patch`.
 */
export function applyPatch(record: SessionRecord | undefined, patch: SessionPatch): PatchResult {
  if (!record || record.expiresAt <= patch.now) return { ok: false, reason: "not_found" };
  if (patch.ifVersion !== undefined && patch.ifVersion !== record.version) return { ok: false, reason: "conflict" };
  const data = changesData(patch);
  const state = changesState(patch);
  const nextState = state ? applyKeys(record.state, patch.stateUnset, structuredClone(patch.stateSet)) : record.state;
  if (patch.maxStateBytes !== undefined && jsonBytes(nextState) > patch.maxStateBytes) {
    return { ok: false, reason: "too_large" };
  }
  return {
    ok: true,
    record: {
      ...record,
      data: data ? applyKeys(record.data, patch.dataUnset, structuredClone(patch.dataSet)) : record.data,
      state: nextState,
      version: data || state ? record.version + 1 : record.version,
      updatedAt: data || state ? patch.now : record.updatedAt,
      lastSeenAt: Math.max(record.lastSeenAt, patch.lastSeenAt ?? record.lastSeenAt),
      expiresAt: patch.expiresAt ?? record.expiresAt,
    },
  };
}
