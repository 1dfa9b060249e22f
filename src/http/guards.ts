import { isOriginAllowed, isUnsafeMethod, normalizeOrigin } from "../core/csrf.js";
import { CsrfInvalidError, NoSessionError, OriginMismatchError } from "../core/errors.js";
import type { SessionManager } from "../core/manager.js";
import type { Session } from "../core/session.js";
import type { JsonObject } from "../stores/store.js";

/** The request facts the guards read; a Web Request, or an adapter's view of its own request. */
export interface GuardedRequest {
  method: string;
  /** The server's own origin as the client addressed it (scheme://host[:port]). */
  origin: string;
  header(name: string): string | null;
  /** A CSRF token from the body (`csrf_token` JSON field or `_csrf` form field), if read. */
  bodyToken?: string | null;
}

/** Adapts a Web Request for the guards. */
export function guardedWebRequest(
  request: Request,
  bodyToken?: string | null,
  url: URL = new URL(request.url),
): GuardedRequest {
  return {
    method: request.method,
    origin: url.origin,
    header: (name) => request.headers.get(name),
    bodyToken,
  };
}

/** The CSRF token a parsed body carries: the `csrf_token` JSON field or the `_csrf` form field. */
export function csrfBodyToken(body: unknown): string | null {
  if (typeof body !== "object" || body === null) return null;
  const { csrf_token: json, _csrf: form } = body as Record<string, unknown>;
  const field = json ?? form;
  return typeof field === "string" ? field : null;
}

/**
 * The seeds' `@require_session`: throws NoSessionError (401) unless the request has a stored
 * session — signed in, too, when `authenticated`.
 */
export function assertSession<Data extends JsonObject>(
  session: Session<Data>,
  options: { authenticated?: boolean } = {},
): void {
  if (session.isNew || session.isDestroyed) throw new NoSessionError();
  if (options.authenticated && session.userId === null) throw new NoSessionError("Sign in first.");
}

/**
 * API.md rule 1: the Origin / Sec-Fetch-Site check of unsafe requests. Throws
 * OriginMismatchError (403). `allowedOrigins` are normalised extra origins.
 */
export function assertSameOrigin<Data extends JsonObject>(
  manager: SessionManager<Data>,
  request: GuardedRequest,
  allowedOrigins: ReadonlySet<string>,
): void {
  const own = normalizeOrigin(request.origin);
  const allowed = { has: (origin: string) => origin === own || allowedOrigins.has(origin) };
  const origin = request.header("origin");
  const secFetchSite = request.header("sec-fetch-site");
  if (isOriginAllowed({ method: request.method, origin, secFetchSite, allowedOrigins: allowed })) return;
  manager.events.emit("origin_rejected", { origin, secFetchSite }, manager.clock.now());
  throw new OriginMismatchError();
}

/**
 * The seeds' `@require_csrf` (API.md rules 1 and 2): for an unsafe request, the origin check,
 * then — when there is a session — its CSRF token from the `X-CSRF-Token` header (or
 * `X-CSRFToken`, Django's and Flask-WTF's spelling) or the body. Throws OriginMismatchError or
 * CsrfInvalidError (403). Safe methods pass, and so does a bearer session (rule 4: its token
 * is no ambient credential a browser would attach on its own).
 */
export function assertCsrf<Data extends JsonObject>(
  manager: SessionManager<Data>,
  session: Session<Data>,
  request: GuardedRequest,
  allowedOrigins: ReadonlySet<string>,
): void {
  if (!isUnsafeMethod(request.method) || session.transport === "bearer") return;
  assertSameOrigin(manager, request, allowedOrigins);
  if (session.isNew) return;
  const token = request.header("x-csrf-token") ?? request.header("x-csrftoken") ?? request.bodyToken ?? null;
  if (manager.verifyCsrf(session, token)) return;
  manager.events.emit(
    "csrf_failed",
    { sessionId: session.id, reason: token ? "invalid" : "missing" },
    manager.clock.now(),
  );
  throw new CsrfInvalidError();
}
