import { parseStored } from "./record-check.js";
import type { CreateOptions, JsonObject, PatchResult, SessionPatch, SessionRecord } from "./store.js";

/**
 * Session records as Redis hashes, shared by both Redis layouts: one field per record field,
 * and `d:<json key>` / `t:<json key>` per data and state key, the value being its JSON text.
 */

/** Hash field of a data ("d:") or state ("t:") key: the JSON text of the key. */
export function field(kind: "d:" | "t:", name: string): string {
  return kind + JSON.stringify(name);
}

/** Field/value pairs of an object's members; keys JSON.stringify would drop are skipped. */
export function members(kind: "d:" | "t:", object: JsonObject): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(object)) {
    const json = JSON.stringify(value);
    if (json !== undefined) out.push(field(kind, name), json);
  }
  return out;
}

export function encode(record: SessionRecord): string[] {
  const fields = [
    "id",
    record.id,
    "secretHash",
    record.secretHash,
    "createdAt",
    String(record.createdAt),
    "lastSeenAt",
    String(record.lastSeenAt),
    "expiresAt",
    String(record.expiresAt),
    "absoluteExpiresAt",
    String(record.absoluteExpiresAt),
    "persistent",
    record.persistent ? "1" : "0",
    "version",
    String(record.version),
    "updatedAt",
    String(record.updatedAt),
    "meta",
    JSON.stringify(record.meta),
  ];
  // Absent fields mean null: HGETALL has no null.
  if (record.userId !== null) fields.push("userId", record.userId);
  if (record.authenticatedAt !== null) fields.push("authenticatedAt", String(record.authenticatedAt));
  return [...fields, ...members("d:", record.data), ...members("t:", record.state)];
}

export function* pairs(flat: readonly string[]): Generator<[string, string]> {
  for (let i = 0; i + 1 < flat.length; i += 2) yield [flat[i] as string, flat[i + 1] as string];
}

/**
 * The record of a hash's fields, or null for an empty (missing) hash. Data and state are
 * rebuilt as JSON text and parsed once: JSON.parse defines `__proto__` as an own key, and an
 * object without members is `{}`.
 */
export function decode(fields: Iterable<[string, string]>): SessionRecord | null {
  const plain = new Map<string, string>();
  const data: string[] = [];
  const state: string[] = [];
  for (const [name, value] of fields) {
    if (name.startsWith("d:")) data.push(`${name.slice(2)}:${value}`);
    else if (name.startsWith("t:")) state.push(`${name.slice(2)}:${value}`);
    else plain.set(name, value);
  }
  const id = plain.get("id");
  if (id === undefined) return null;
  const number = (name: string) => Number(plain.get(name));
  const authenticatedAt = plain.get("authenticatedAt");
  return {
    id,
    secretHash: plain.get("secretHash") ?? "",
    userId: plain.get("userId") ?? null,
    createdAt: number("createdAt"),
    lastSeenAt: number("lastSeenAt"),
    expiresAt: number("expiresAt"),
    absoluteExpiresAt: number("absoluteExpiresAt"),
    authenticatedAt: authenticatedAt === undefined ? null : Number(authenticatedAt),
    persistent: plain.get("persistent") === "1",
    version: number("version"),
    data: parseStored(`{${data.join(",")}}`),
    state: parseStored(`{${state.join(",")}}`),
    updatedAt: number("updatedAt"),
    meta: parseStored(plain.get("meta") ?? "null") ?? { userAgent: null, ip: null, fingerprint: null },
  };
}

export function liveRecords(hashes: readonly string[][], now: number): SessionRecord[] {
  const records: SessionRecord[] = [];
  for (const hash of hashes) {
    const record = decode(pairs(hash));
    if (record && record.expiresAt > now) records.push(record);
  }
  return records;
}

/**
 * The create script's arguments after the key base and nonce: id, now, userId or "",
 * createdAt, expiresAt, expiresAt rounded up, maxPerUser or "", the replaced id or "", the
 * flags ("r": the replacement is required; "p": the id's own bucket holds a pointer, sharded
 * layout), then the hash's field/value pairs.
 */
export function createArgs(record: SessionRecord, options: CreateOptions, flags = ""): (string | number)[] {
  const { maxPerUser, replace, now } = options;
  return [
    record.id,
    now,
    record.userId ?? "",
    record.createdAt,
    record.expiresAt,
    Math.ceil(record.expiresAt),
    maxPerUser ?? "",
    replace?.id ?? "",
    (replace?.required ? "r" : "") + flags,
    ...encode(record),
  ];
}

/**
 * The patch script's arguments after the key base and nonce: id, now, ifVersion, lastSeenAt,
 * expiresAt, expiresAt rounded up, maxStateBytes (each "" when absent), the number of fields
 * to delete, those fields, then the field/value pairs to set.
 */
export function patchArgs(id: string, patch: SessionPatch): (string | number)[] {
  const unset = [
    ...(patch.dataUnset ?? []).map((name) => field("d:", name)),
    ...(patch.stateUnset ?? []).map((name) => field("t:", name)),
  ];
  const set = [...members("d:", patch.dataSet ?? {}), ...members("t:", patch.stateSet ?? {})];
  return [
    id,
    patch.now,
    patch.ifVersion ?? "",
    patch.lastSeenAt ?? "",
    patch.expiresAt ?? "",
    patch.expiresAt === undefined ? "" : Math.ceil(patch.expiresAt),
    patch.maxStateBytes ?? "",
    unset.length,
    ...unset,
    ...set,
  ];
}

/** The patch script's answer as a PatchResult. */
export function patchResult(reply: [string, string[]?]): PatchResult {
  const [status, fields] = reply;
  if (status !== "ok" || !fields) return { ok: false, reason: status as "not_found" | "conflict" | "too_large" };
  return { ok: true, record: decode(pairs(fields)) as SessionRecord };
}
