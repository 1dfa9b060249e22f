import type { JsonObject, SessionPatch } from "./store.js";

/** Does the patch change `data`? A patch that changes neither part is a touch. */
export function changesData(patch: SessionPatch): boolean {
  return Object.keys(patch.dataSet ?? {}).length > 0 || (patch.dataUnset?.length ?? 0) > 0;
}

/** Does the patch change `state`? */
export function changesState(patch: SessionPatch): boolean {
  return Object.keys(patch.stateSet ?? {}).length > 0 || (patch.stateUnset?.length ?? 0) > 0;
}

/**
 * A copy of `target` with the keys of `unset` removed and then those of `set` applied, one by
 * one: a value replaces the old one whole (no deep merge, unlike RFC 7396 merge-patch).
 * Keys are defined, never assigned, so `__proto__` stays an ordinary own key and cannot
 * reach a prototype.
 */
export function applyKeys(target: JsonObject, unset: readonly string[] = [], set: JsonObject = {}): JsonObject {
  const removed = new Set(unset);
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(target)) {
    if (!removed.has(key)) define(result, key, value);
  }
  for (const [key, value] of Object.entries(set)) define(result, key, value);
  return result;
}

function define(object: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
}

/**
 * A stored JSON object as a fresh value. Most sessions hold no data or state at all: "{}" needs
 * no parser. JSON.parse defines `__proto__` as an own key, so such keys survive.
 */
export function parseObject(json: string): JsonObject {
  return json === "{}" ? {} : JSON.parse(json);
}
