import type { SessionRecord } from "../stores/store.js";
import { readCookie, serializeCookie } from "./cookie.js";

/** How the session cookie is named and scoped (API.md: `cookie: { name, domain, sameSite, path }`). */
export interface CookieSettings {
  /** Default `stint_session`, or `__Host-stint_session` when cookies are secure. */
  name?: string;
  /** Share the cookie with subdomains; not allowed with a `__Host-` name. */
  domain?: string;
  /** Default "lax"; "none" needs secure cookies. */
  sameSite?: "lax" | "strict" | "none" | "Lax" | "Strict" | "None";
  /** Default "/"; a `__Host-` name needs "/". */
  path?: string;
}

const SAME_SITE = { lax: "Lax", strict: "Strict", none: "None" } as const;

/**
 * The session cookie: its name and attributes, fixed and checked once at start. A combination
 * browsers would reject (SameSite=None without Secure, a `__Host-` name with a Domain or
 * another Path) throws here, naming the rule, instead of every cookie being silently dropped.
 */
export class SessionCookie {
  readonly name: string;
  readonly secure: boolean;
  readonly #attributes: {
    path: string;
    domain: string | undefined;
    sameSite: "Lax" | "Strict" | "None";
    httpOnly: true;
    secure: boolean;
  };

  constructor(settings: CookieSettings = {}, secure = false) {
    const sameSite = SAME_SITE[(settings.sameSite ?? "lax").toLowerCase() as keyof typeof SAME_SITE];
    if (!sameSite) throw new TypeError(`cookie.sameSite must be "lax", "strict" or "none", got ${settings.sameSite}.`);
    this.name = settings.name ?? (secure ? "__Host-stint_session" : "stint_session");
    this.secure = secure;
    this.#attributes = { path: settings.path ?? "/", domain: settings.domain, sameSite, httpOnly: true, secure };
    try {
      // serializeCookie enforces RFC 6265bis: prefixes, SameSite=None, name and path syntax.
      serializeCookie(this.name, "", this.#attributes);
    } catch (error) {
      throw new TypeError(`The session cookie would be refused by browsers: ${(error as Error).message}`);
    }
  }

  /** The token in a `Cookie` header, if any (lenient: a malformed header is no cookie). */
  read(header: string | null | undefined): string | undefined {
    return readCookie(header, this.name);
  }

  /** `Set-Cookie` for a new token; a persistent session's cookie lives as long as it does. */
  issue(token: string, record: Pick<SessionRecord, "persistent" | "absoluteExpiresAt">, now: number): string {
    const maxAge = record.persistent ? Math.max(0, Math.floor((record.absoluteExpiresAt - now) / 1000)) : undefined;
    return serializeCookie(this.name, token, { ...this.#attributes, maxAge });
  }

  /** `Set-Cookie` that makes the browser forget the session. */
  clear(): string {
    return serializeCookie(this.name, "", { ...this.#attributes, maxAge: 0 });
  }
}
