/** Session records as a signed-in browser's session looks in a store, made in bulk. */
import { randomBytes } from "node:crypto";
import type { SessionRecord } from "stint";
import { USER_AGENT } from "../servers/common.js";

const DAY = 86_400_000;

/** `count` fresh random ids (128 bits, base64url, like Stint's). */
export function randomIds(count: number): string[] {
  const bytes = randomBytes(16 * count);
  const ids = new Array<string>(count);
  for (let i = 0; i < count; i++) ids[i] = bytes.subarray(i * 16, i * 16 + 16).toString("base64url");
  return ids;
}

/**
 * Hash-sized random strings, reused round-robin: a record's hashes only need the right size
 * (a million randomBytes calls would take longer than the inserts).
 */
const HASHES = randomIds(2 * 1024)
  .map((a, i, all) => a + (all[(i + 1) % all.length] ?? ""))
  .map((s) => s.slice(0, 43));

/** A signed-in session with a little state, expiring at `expiresAt`. */
export function sessionRecord(id: string, index: number, now: number, expiresAt: number): SessionRecord {
  return {
    id,
    secretHash: HASHES[index % HASHES.length] as string,
    userId: `u_${index % 100_000}`,
    createdAt: now,
    lastSeenAt: now,
    expiresAt,
    absoluteExpiresAt: now + 7 * DAY,
    authenticatedAt: now,
    persistent: false,
    version: 1,
    data: { role: "member" },
    state: { theme: "light", sidebar: "open" },
    updatedAt: now,
    meta: { userAgent: USER_AGENT, ip: "127.0.0.1", fingerprint: HASHES[(index * 7 + 1) % HASHES.length] as string },
  };
}

export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}
