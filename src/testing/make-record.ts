import { generateToken, hashSecret } from "../core/token.js";
import type { SessionRecord } from "../stores/store.js";

const HOUR = 60 * 60 * 1000;

/**
 * A valid SessionRecord for tests: a fresh random id and secret hash, an anonymous session
 * created now that expires in an hour. Override any field.
 *
 * @example
 * const record = makeRecord({ userId: "alice", data: { cart: [] } });
 * await store.create(record, { now: Date.now() });
 */
export function makeRecord(overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = overrides.createdAt ?? Date.now();
  const token = generateToken();
  return {
    id: token.id,
    secretHash: hashSecret(token.secret),
    userId: null,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: now + HOUR,
    absoluteExpiresAt: now + 24 * HOUR,
    authenticatedAt: null,
    persistent: false,
    version: 1,
    data: {},
    state: {},
    updatedAt: now,
    meta: { userAgent: null, ip: null, fingerprint: null },
    ...overrides,
  };
}
