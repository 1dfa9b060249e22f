import { isUnsafeMethod } from "../core/csrf.js";
import {
  MethodNotAllowedError,
  NoSessionError,
  NotFoundError,
  RateLimitedError,
  StintError,
  StoreUnavailableError,
} from "../core/errors.js";
import type { ClientContext, Session } from "../core/session.js";
import { logStoreFailure } from "../stores/failure-log.js";
import type { JsonObject } from "../stores/store.js";
import type { AdminGate, Route, RouteContext, StintServices } from "./context.js";
import { presentedToken, wantsBearer } from "./credentials.js";
import { assertCsrf, assertSameOrigin, csrfBodyToken, guardedWebRequest } from "./guards.js";
import { type Body, errorResponse, json, readBody } from "./json.js";
import { adminListSessions, adminPatchState, adminRevokeSession, adminRevokeUser } from "./routes/admin.js";
import { login, register } from "./routes/auth.js";
import { sessionEvents } from "./routes/events.js";
import { health, metrics } from "./routes/operations.js";
import { extendSession, getCsrfToken, getSession, getState, logout, patchState } from "./routes/session.js";
import { listSessions, revokeOtherSessions, revokeSession } from "./routes/sessions.js";
import { getUserState, patchUserState } from "./routes/user-state.js";

/** Facts about the connection that a Web Request does not carry. */
export interface ConnectionInfo {
  /** The client's address (after any trusted proxy handling by the adapter). */
  ip?: string | null;
}

export type StintHandler = (request: Request, connection?: ConnectionInfo) => Promise<Response>;

const routes: Route[] = [
  getSession,
  getCsrfToken,
  extendSession,
  logout,
  getState,
  patchState,
  sessionEvents,
  listSessions,
  revokeSession,
  revokeOtherSessions,
  getUserState,
  patchUserState,
  adminListSessions,
  adminRevokeUser,
  adminRevokeSession,
  adminPatchState,
  register,
  login,
  health,
  metrics,
];

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  names: string[];
}

const compiled: CompiledRoute[] = routes.map((route) => {
  const names: string[] = [];
  const source = route.path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    names.push(name);
    return "([^/]+)";
  });
  return { route, pattern: new RegExp(`^${source}$`), names };
});

/** Is this path one of Stint's own (API.md's) routes? */
export function isStintPath(pathname: string): boolean {
  return pathname.startsWith("/api/") || pathname === "/metrics";
}

function match(method: string, pathname: string) {
  let allowed: string[] | null = null;
  for (const { route, pattern, names } of compiled) {
    const found = pattern.exec(pathname);
    if (!found) continue;
    if (route.method !== method) {
      allowed ??= [];
      allowed.push(route.method);
      continue;
    }
    const params: Record<string, string> = {};
    names.forEach((name, index) => {
      params[name] = safeDecode(found[index + 1] ?? "");
    });
    return { route, params, allowed: null };
  }
  return { route: null, allowed };
}

/** What answers a method that no route at this path takes: 405 with `Allow`, or 404. */
function missingRoute(method: string, pathname: string): StintError {
  const { allowed } = match(method, pathname);
  if (!allowed) return new NotFoundError("No such route.");
  // HEAD is answered wherever GET is.
  const methods = new Set(allowed.flatMap((name) => (name === "GET" ? ["GET", "HEAD"] : [name])));
  return new MethodNotAllowedError([...methods]);
}

/**
 * The answer to a request whose method no route takes, built without a Web Request: adapters
 * use it for the methods a Web Request refuses to carry (TRACE, CONNECT, TRACK), which
 * node:http still accepts. Null when a route takes the method at this path.
 */
export function unroutableAnswer(method: string, pathname: string): Response | null {
  const upper = method.toUpperCase();
  if (match(upper === "HEAD" ? "GET" : upper, pathname).route) return null;
  return errorResponse(missingRoute(upper, pathname));
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * API.md as one `(Request) => Promise<Response>`: routing, the Origin and CSRF checks (not for
 * bearer tokens, rule 4), the session's load and commit, the admin gate, and the mapping of
 * every error to its status and code. Adapters only translate to and from it.
 */
export function createHandler<Data extends JsonObject>(services: StintServices<Data>): StintHandler {
  const { manager } = services;

  return async function stintHandler(request, connection = {}) {
    const started = performance.now();
    // The route's pattern, not the raw path, so ids never become metric labels.
    const matched = { label: "unknown" };
    const response = await handle(request, connection, matched);
    services.observeRequest?.(matched.label, request.method, response.status, (performance.now() - started) / 1000);
    return response;
  };

  /**
   * The admin gate (API.md, "Administration"): too many refused attempts from an address are
   * 429; a request the gate refuses is 401 and counts as one. The gate sees the request
   * without its body.
   */
  async function admit(gate: AdminGate, request: Request, client: ClientContext): Promise<void> {
    const ip = client.ip ?? null;
    const now = () => manager.clock.now();
    if (ip !== null) {
      const verdict = await gate.failures.check(ip);
      if (!verdict.allowed) {
        manager.events.emit("admin_denied", { ip, reason: "rate_limited" }, now());
        throw new RateLimitedError(verdict.retryAfterSeconds);
      }
    }
    if (await gate.authorize(new Request(request.url, { method: request.method, headers: request.headers }))) return;
    if (ip !== null) await gate.failures.record(ip);
    manager.events.emit("admin_denied", { ip, reason: "invalid_token" }, now());
    throw new NoSessionError("A valid admin token is required.");
  }

  async function handle(request: Request, connection: ConnectionInfo, matched: { label: string }): Promise<Response> {
    let session: Session<Data> | null = null;
    try {
      const url = new URL(request.url);
      const method = request.method.toUpperCase();
      const { route, params } = match(method === "HEAD" ? "GET" : method, url.pathname);
      if (!route) throw missingRoute(method, url.pathname);
      matched.label = route.path;
      if (route.admin && !services.admin) throw new NotFoundError("No such route.");
      const unsafe = isUnsafeMethod(method);
      const guarded = guardedWebRequest(request, undefined, url);
      const client: ClientContext = { userAgent: request.headers.get("user-agent"), ip: connection.ip ?? null };
      if (route.session === "none") {
        if (unsafe) assertSameOrigin(manager, guarded, services.allowedOrigins);
        if (services.admin && route.admin) await admit(services.admin, request, client);
        const body: Body = unsafe ? await readBody(request) : {};
        return await route.run(noSessionContext(request, url, params, client, services, body));
      }

      const presented = presentedToken(
        { cookie: request.headers.get("cookie"), authorization: request.headers.get("authorization") },
        (header) => manager.cookie.read(header),
        { bearerSignIn: route.signIn === true && wantsBearer(request.headers.get("x-stint-transport")) },
      );
      // API.md rule 4: a bearer token is no ambient credential (nothing attaches it on its own).
      if (unsafe && !(presented.transport === "bearer" && presented.token !== undefined)) {
        assertSameOrigin(manager, guarded, services.allowedOrigins);
      }
      const loaded = await manager.load(presented.token, client, { transport: presented.transport });
      session = loaded;
      const needsSession = route.session === "required" || route.session === "authenticated";
      if (needsSession && loaded.isNew) throw new NoSessionError();
      if (route.session === "authenticated" && loaded.userId === null) throw new SignInRequiredError();
      const body: Body = unsafe ? await readBody(request) : {};
      if (unsafe && !loaded.isNew) {
        guarded.bodyToken = csrfBodyToken(body);
        assertCsrf(manager, loaded, guarded, services.allowedOrigins);
      }

      const cookies: string[] = [];
      const commitOnce = async (options: { ifVersion?: number } = {}) => {
        if (loaded.isNew && !loaded.isDestroyed && loaded.pendingIdentity.kind === "none") {
          if (loaded.hasContentChanges || loaded.persistRequested) services.anonymousLimiter?.take(client.ip ?? null);
        }
        const result = await manager.commit(loaded, { activity: !route.passive, ...options });
        cookies.push(...result.setCookies);
      };
      const context: RouteContext<Data> = {
        request,
        url,
        params,
        session: loaded,
        body,
        client,
        services,
        commit: commitOnce,
      };
      const response = await route.run(context);
      await commitOnce();
      for (const cookie of cookies) response.headers.append("set-cookie", cookie);
      return method === "HEAD" ? new Response(null, response) : response;
    } catch (error) {
      return failure(error, session, manager.cookie.clear());
    }
  }
}

function noSessionContext<Data extends JsonObject>(
  request: Request,
  url: URL,
  params: Record<string, string>,
  client: ClientContext,
  services: StintServices<Data>,
  body: Body,
): RouteContext<Data> {
  return {
    request,
    url,
    params,
    client,
    services,
    body,
    get session(): never {
      throw new Error("This route does not load a session.");
    },
    commit: async () => undefined,
  };
}

/**
 * 401 for an anonymous session on a route for signed-in users. The session itself is fine, so
 * its cookie is kept: clearing it would orphan the stored record and lose the visitor's state.
 */
class SignInRequiredError extends NoSessionError {
  constructor() {
    super("Sign in to manage your sessions.");
  }
}

function failure<Data extends JsonObject>(
  error: unknown,
  session: Session<Data> | null,
  clearCookie: string,
): Response {
  if (error instanceof StoreUnavailableError) logStoreFailure(error);
  if (!(error instanceof StintError)) {
    // Never a stack, a token or a driver message to the client: log it, answer 500.
    console.error("stint: unexpected error while handling a request", error);
    return json({ error: { code: "internal_error", message: "Something went wrong." } }, 500);
  }
  const response = errorResponse(error);
  // Only a cookie can be cleared; a bearer client forgets its token on the 401 itself.
  if (!(error instanceof NoSessionError) || session?.transport !== "cookie") return response;
  if (session.presentedInvalidToken) response.headers.append("set-cookie", clearCookie);
  if (!(error instanceof SignInRequiredError) && !session.isNew && session.record) {
    // The session ended while this request ran: make the browser forget it too.
    response.headers.append("set-cookie", clearCookie);
  }
  return response;
}
