import type { SecretRing } from "./secrets.js";

/**
 * CSRF defence in two layers (API.md, "Unsafe requests"): the Origin / Sec-Fetch-Site check
 * below, then a per-session token. The token is an HMAC of the session's public id under the
 * server secret, so it is bound to the session (not a double-submit cookie that a sibling
 * domain can toss), changes with the id at login and rotation, and needs no storage.
 */

const CSRF_PURPOSE = "stint-csrf-v1";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);

export function isUnsafeMethod(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

export function csrfTokenFor(secrets: SecretRing, sessionId: string): string {
  return secrets.sign(CSRF_PURPOSE, sessionId);
}

/** Constant-time check against every secret of the ring. A missing token is invalid. */
export function verifyCsrfToken(secrets: SecretRing, sessionId: string, token: string | null | undefined): boolean {
  if (typeof token !== "string" || token.length === 0 || token.length > 256) return false;
  return secrets.verify(CSRF_PURPOSE, sessionId, token);
}

/**
 * Normalises an origin by parsing (never by prefix or regex: better-auth CVE-2025-27143 and
 * CVE-2025-71403). Returns null for anything that is not a http(s) origin, including "null".
 */
export function normalizeOrigin(value: string): string | null {
  try {
    const url = new URL(value);
    if (url.protocol !== "http:" && url.protocol !== "https:") return null;
    return url.origin;
  } catch {
    return null;
  }
}

export interface OriginCheckInput {
  method: string;
  origin: string | null;
  secFetchSite: string | null;
  /** Normalised origins (see normalizeOrigin); the server's own origin among them. */
  allowedOrigins: { has(origin: string): boolean };
}

/**
 * API.md rule 1: an unsafe request whose Origin is present and not allowed, or that has no
 * Origin but says `Sec-Fetch-Site: cross-site`, is refused. Safe methods always pass.
 */
export function isOriginAllowed({ method, origin, secFetchSite, allowedOrigins }: OriginCheckInput): boolean {
  if (!isUnsafeMethod(method)) return true;
  if (origin !== null) {
    const normalized = normalizeOrigin(origin);
    return normalized !== null && allowedOrigins.has(normalized);
  }
  return secFetchSite?.trim().toLowerCase() !== "cross-site";
}
