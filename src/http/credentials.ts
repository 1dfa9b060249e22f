import { BadRequestError } from "../core/errors.js";
import type { SessionTransport } from "../protocol.js";

/** What a request carries that may name a session: its `Cookie` and `Authorization` headers. */
export interface SessionCredentials {
  cookie?: string | null | undefined;
  authorization?: string | null | undefined;
}

/** The session token a request presents, and how it travelled. */
export interface PresentedToken {
  token: string | undefined;
  transport: SessionTransport;
}

/** RFC 6750 §2.1: `Bearer` (any case), then the token after one or more spaces. */
const BEARER = /^bearer(?: +(.*))?$/i;

/**
 * The token of `Authorization: Bearer <token>`: undefined without the header or with another
 * scheme (an app's own Basic auth is not Stint's), "" for a Bearer header without a token.
 */
export function bearerToken(header: string | null | undefined): string | undefined {
  if (typeof header !== "string") return undefined;
  const match = BEARER.exec(header.trim());
  return match ? (match[1] ?? "").trim() : undefined;
}

/**
 * The session token of a request: the cookie's, or a bearer token (API.md, "Bearer tokens").
 * Both at once is a malformed request (400), never a guess at which one is meant. A bearer
 * sign-in (`X-Stint-Transport: bearer`) starts from its bearer token, if any, never from a
 * cookie. A token is never read from a URL.
 */
export function presentedToken(
  credentials: SessionCredentials,
  readCookie: (header: string | null | undefined) => string | undefined,
  options: { bearerSignIn?: boolean } = {},
): PresentedToken {
  const bearer = bearerToken(credentials.authorization);
  const cookie = readCookie(credentials.cookie);
  if (bearer !== undefined && cookie) {
    throw new BadRequestError("Send the session token as a cookie or as a bearer token, not both.");
  }
  if (bearer !== undefined || options.bearerSignIn) return { token: bearer, transport: "bearer" };
  return { token: cookie, transport: "cookie" };
}

/** `X-Stint-Transport` of a sign-in: "bearer" asks for the token in the body instead of a cookie. */
export function wantsBearer(header: string | null): boolean {
  if (header === null) return false;
  const value = header.trim().toLowerCase();
  if (value === "bearer") return true;
  if (value === "cookie" || value === "") return false;
  throw new BadRequestError('X-Stint-Transport must be "bearer" or "cookie".');
}
