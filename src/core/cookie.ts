/**
 * Cookie codecs. Parsing is lenient and never throws (a bad cookie is "no cookie");
 * serialising is strict and throws on anything RFC 6265 forbids, so no attribute can be
 * injected through a name or value (the `cookie` package's CVE-2024-47764).
 */

/** Headers larger than this are not parsed at all (the cookie is then simply absent). */
const MAX_HEADER_LENGTH = 16 * 1024;
// RFC 6265 §4.1.1: cookie-name is an RFC 7230 token; cookie-value is cookie-octets.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const COOKIE_OCTETS = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
/** Browsers cap Max-Age at 400 days (RFC 6265bis §5.6.1, "cookie-age-limit"). */
const MAX_AGE_LIMIT_SECONDS = 400 * 24 * 60 * 60;

function decode(value: string): string | undefined {
  if (!value.includes("%")) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/**
 * All cookies of a `Cookie` header. The first of duplicate names wins (the most specific
 * path is sent first); values with bad escapes are skipped; `__proto__` is an ordinary key.
 */
export function parseCookies(header: string | null | undefined): Record<string, string> {
  const cookies: Record<string, string> = Object.create(null);
  if (typeof header !== "string" || header.length > MAX_HEADER_LENGTH) return cookies;
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq === -1) continue;
    const name = pair.slice(0, eq).trim();
    if (name === "" || name in cookies) continue;
    let raw = pair.slice(eq + 1).trim();
    if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) raw = raw.slice(1, -1);
    const value = decode(raw);
    if (value !== undefined) cookies[name] = value;
  }
  return cookies;
}

/**
 * One cookie's value, without building the whole map: the hot path of every request.
 * Same rules as `parseCookies` (first wins, bad escapes skipped).
 */
export function readCookie(header: string | null | undefined, name: string): string | undefined {
  if (typeof header !== "string" || header.length > MAX_HEADER_LENGTH || name === "") return undefined;
  // Jumps from one occurrence of the name to the next instead of splitting every pair.
  for (let at = header.indexOf(name); at !== -1; at = header.indexOf(name, at + 1)) {
    let before = at - 1;
    while (before >= 0 && isSpace(header.charCodeAt(before))) before--;
    if (before >= 0 && header.charCodeAt(before) !== SEMICOLON) continue;
    let eq = at + name.length;
    while (eq < header.length && isSpace(header.charCodeAt(eq))) eq++;
    if (header.charCodeAt(eq) !== EQUALS) continue;
    let end = header.indexOf(";", eq);
    if (end === -1) end = header.length;
    let raw = header.slice(eq + 1, end).trim();
    if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) raw = raw.slice(1, -1);
    const value = decode(raw);
    if (value !== undefined) return value;
  }
  return undefined;
}

const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
/** What `String.prototype.trim()` removes (ECMAScript WhiteSpace and LineTerminator), as parseCookies trims. */
const isSpace = (code: number) =>
  (code >= 0x09 && code <= 0x0d) ||
  code === 0x20 ||
  code === 0xa0 ||
  code === 0x1680 ||
  (code >= 0x2000 && code <= 0x200a) ||
  code === 0x2028 ||
  code === 0x2029 ||
  code === 0x202f ||
  code === 0x205f ||
  code === 0x3000 ||
  code === 0xfeff;

export interface CookieOptions {
  /** Seconds; 0 clears the cookie. Omitted: a browser-session cookie. */
  maxAge?: number;
  path?: string;
  domain?: string;
  secure?: boolean;
  httpOnly?: boolean;
  sameSite?: "Strict" | "Lax" | "None";
  partitioned?: boolean;
}

/** A `Set-Cookie` header value. Throws a TypeError naming the broken rule. */
export function serializeCookie(name: string, value: string, options: CookieOptions = {}): string {
  if (!TOKEN.test(name)) throw new TypeError(`Invalid cookie name ${JSON.stringify(name)}.`);
  if (!COOKIE_OCTETS.test(value)) {
    throw new TypeError(`Invalid value for cookie ${name}: only RFC 6265 cookie-octets are allowed.`);
  }
  const { maxAge, path, domain, secure, httpOnly, sameSite, partitioned } = options;
  // RFC 6265bis §4.1.3: __Secure- needs Secure; __Host- also needs Path=/ and no Domain.
  if (name.startsWith("__Secure-") && !secure) throw new TypeError(`${name} requires Secure.`);
  if (name.startsWith("__Host-")) {
    if (!secure) throw new TypeError(`${name} requires Secure.`);
    if (path !== "/") throw new TypeError(`${name} requires Path=/.`);
    if (domain !== undefined) throw new TypeError(`${name} must not have a Domain.`);
  }
  if (sameSite === "None" && !secure) throw new TypeError("SameSite=None requires Secure.");
  if (partitioned && !secure) throw new TypeError("Partitioned requires Secure.");
  let cookie = `${name}=${value}`;
  if (maxAge !== undefined) {
    if (!Number.isInteger(maxAge) || maxAge < 0) {
      throw new TypeError(`Max-Age must be a whole number of seconds ≥ 0, got ${maxAge}.`);
    }
    if (maxAge > MAX_AGE_LIMIT_SECONDS) {
      throw new TypeError("Max-Age must not exceed 400 days (RFC 6265bis cookie-age-limit).");
    }
    cookie += `; Max-Age=${maxAge}`;
  }
  if (domain !== undefined) {
    if (!/^\.?[A-Za-z0-9.-]+$/.test(domain)) throw new TypeError(`Invalid cookie domain ${domain}.`);
    cookie += `; Domain=${domain}`;
  }
  if (path !== undefined) {
    if (!/^\/[\x20-\x3A\x3C-\x7E]*$/.test(path)) throw new TypeError(`Invalid cookie path ${path}.`);
    cookie += `; Path=${path}`;
  }
  if (httpOnly) cookie += "; HttpOnly";
  if (secure) cookie += "; Secure";
  if (sameSite) cookie += `; SameSite=${sameSite}`;
  if (partitioned) cookie += "; Partitioned";
  return cookie;
}
