import * as crypto from "node:crypto";
import { createHash, createHmac, randomBytes } from "node:crypto";

/** 16 bytes = 128 bits for the public id (API.md asks for at least 96). */
const ID_BYTES = 16;
/** 32 bytes = 256 bits for the secret (API.md asks for at least 128). */
const SECRET_BYTES = 32;
const ID_LENGTH = Math.ceil((ID_BYTES * 8) / 6);
const SECRET_LENGTH = Math.ceil((SECRET_BYTES * 8) / 6);
/** `<id>.<secret>`, both base64url of the issued lengths: one test on the hot path. */
const TOKEN = new RegExp(`^[A-Za-z0-9_-]{${ID_LENGTH}}\\.[A-Za-z0-9_-]{${SECRET_LENGTH}}$`);

export interface SessionToken {
  /** Public lookup key: may be logged and shown in the device list. */
  id: string;
  /** Never stored, logged or shown: only its SHA-256 is kept. */
  secret: string;
}

/** A new token; `id` when the store mints the public id (Store.newId), else a random one. */
export function generateToken(id?: string): SessionToken {
  return {
    id: id ?? randomBytes(ID_BYTES).toString("base64url"),
    secret: randomBytes(SECRET_BYTES).toString("base64url"),
  };
}

export function formatToken(token: SessionToken): string {
  return `${token.id}.${token.secret}`;
}

/**
 * Parses `<id>.<secret>`. Lenient: anything that is not exactly two base64url parts of the
 * issued lengths is `null` ("no session"), never an exception.
 */
export function parseToken(value: unknown): SessionToken | null {
  if (typeof value !== "string" || !TOKEN.test(value)) return null;
  return { id: value.slice(0, ID_LENGTH), secret: value.slice(ID_LENGTH + 1) };
}

/**
 * One-shot hashing (Node ≥ 20.12): about half the cost of a Hash object, on the read path of
 * every request. Older Node 20 releases fall back to createHash.
 */
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: "base64url") => string }).hash;

/** base64url SHA-256 of the secret: what a store keeps. */
export function hashSecret(secret: string): string {
  if (oneShotHash) return oneShotHash("sha256", secret, "base64url");
  return createHash("sha256").update(secret).digest("base64url");
}

/**
 * Constant-time comparison of two strings: the time depends on their lengths only, never on
 * where they differ. Every code unit is compared (no early exit), without allocating Buffers:
 * this runs on every request.
 */
export function safeEqual(a: string, b: string): boolean {
  const length = Math.max(a.length, b.length);
  let difference = a.length ^ b.length;
  for (let i = 0; i < length; i++) difference |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return difference === 0;
}

/** Does the token's secret hash to the stored hash? Constant time. */
export function verifySecret(secret: string, storedHash: string): boolean {
  return safeEqual(hashSecret(secret), storedHash);
}

/** base64url HMAC-SHA256 of `message` under `key`. */
export function hmac(key: string, message: string): string {
  return createHmac("sha256", key).update(message).digest("base64url");
}
