import { hmac as jsHmac } from "@noble/hashes/hmac";
import { sha256 } from "@noble/hashes/sha2";

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
  return { id: id ?? randomBase64url(ID_BYTES), secret: randomBase64url(SECRET_BYTES) };
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
 * Node's crypto where the runtime has it (Node, Bun, Deno, workerd with `nodejs_compat`):
 * native, and one-shot hashing (Node ≥ 20.12) costs about half a Hash object on the read path
 * of every request. Asked for through `process.getBuiltinModule`, not imported, so the core
 * also loads where there is no node:crypto (workerd without `nodejs_compat`): there SHA-256
 * and HMAC come from @noble/hashes (synchronous, as every request needs them; Web Crypto's
 * `subtle` is asynchronous) and randomness from Web Crypto's `getRandomValues`.
 */
type NodeCrypto = typeof import("node:crypto") & {
  hash?: (algorithm: string, data: string, encoding: "base64url") => string;
};
const nodeCrypto = (
  globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }
).process?.getBuiltinModule?.("node:crypto") as NodeCrypto | undefined;

const utf8 = new TextEncoder();

/** base64url of bytes, without padding. */
function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** `length` bytes from the system's CSPRNG, as base64url. */
function randomBase64url(length: number): string {
  if (nodeCrypto) return nodeCrypto.randomBytes(length).toString("base64url");
  return base64url(globalThis.crypto.getRandomValues(new Uint8Array(length)));
}

/** base64url SHA-256 of the secret: what a store keeps. */
export function hashSecret(secret: string): string {
  if (nodeCrypto?.hash) return nodeCrypto.hash("sha256", secret, "base64url");
  if (nodeCrypto) return nodeCrypto.createHash("sha256").update(secret).digest("base64url");
  return base64url(sha256(utf8.encode(secret)));
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
  if (nodeCrypto) return nodeCrypto.createHmac("sha256", key).update(message).digest("base64url");
  return base64url(jsHmac(sha256, utf8.encode(key), utf8.encode(message)));
}
