import type { SessionRecord } from "./store.js";

/**
 * A stored JSON column read back, or `undefined` when it is not JSON at all (a damaged file, a
 * hand edit): `undefined` is no JSON value, so recordProblem refuses the record. Stores use it
 * so that one bad row never fails a whole read (a permanent 503 for that cookie, or for a
 * user's whole device list).
 */
export function parseStored<T = unknown>(text: string | null | undefined): T {
  // Most sessions hold no data or state at all: "{}" needs no parser.
  if (text === "{}") return {} as T;
  if (typeof text !== "string") return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined as T;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const isTime = (value: unknown) => typeof value === "number" && Number.isFinite(value);
const isText = (value: unknown) => typeof value === "string";
const isTextOrNull = (value: unknown) => value === null || typeof value === "string";

/**
 * What makes a stored record unusable as a SessionRecord, or null when it is one. A store
 * returns what it decoded; this decides, the same way for every store, that a damaged record
 * is no session rather than a crash or a store failure.
 */
export function recordProblem(record: SessionRecord, id?: string): string | null {
  const value = record as unknown as Record<string, unknown>;
  if (!isObject(value)) return "not an object";
  if (!isText(value.id) || (id !== undefined && value.id !== id)) return "wrong id";
  if (!isText(value.secretHash) || (value.secretHash as string).length === 0) return "no secret hash";
  if (!isTextOrNull(value.userId)) return "userId is not a string";
  for (const name of ["createdAt", "lastSeenAt", "expiresAt", "absoluteExpiresAt", "updatedAt"]) {
    if (!isTime(value[name])) return `${name} is not a time`;
  }
  if (value.authenticatedAt !== null && !isTime(value.authenticatedAt)) return "authenticatedAt is not a time";
  if (typeof value.persistent !== "boolean") return "persistent is not a boolean";
  if (!Number.isSafeInteger(value.version) || (value.version as number) < 0) return "version is not a count";
  if (!isObject(value.data)) return "data is not a JSON object";
  if (!isObject(value.state)) return "state is not a JSON object";
  const meta = value.meta;
  if (!isObject(meta) || !isTextOrNull(meta.userAgent) || !isTextOrNull(meta.ip) || !isTextOrNull(meta.fingerprint)) {
    return "meta is not device facts";
  }
  return null;
}
