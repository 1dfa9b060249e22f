import type { CommitOptions } from "../../core/manager.js";
import type { Session as StintSession } from "../../core/session.js";
import { parseToken } from "../../core/token.js";
import type { JsonObject } from "../../stores/store.js";
import type { StintHost } from "../host.js";
import { commitWebAnswer, csrfRefusal, peekBody, sessionOwners, sessionRefusal } from "./shared.js";

/** Augment it to type the session: `declare module "stint/adapters/next" { interface StintSessionData { cart: string[] } }`. */
export interface StintSessionData extends JsonObject {}

export type NextSession = StintSession<StintSessionData>;

export interface StintNextOptions {
  /**
   * The client's address, for the per-address limits and the device list. Next.js does not
   * tell route handlers the socket's address; behind a proxy you run, read the header it sets
   * (`(request) => request.headers.get("x-real-ip")`). Without it the address is unknown (null).
   */
  clientAddress?(request: Request): string | null | undefined;
}

/** An app route handler that gets the request's session beside Next's context. */
export type SessionRouteHandler<Context = unknown> = (
  request: Request,
  context: Context & { session: NextSession },
) => Response | Promise<Response>;

/** The API.md route handler of one HTTP method. */
type ApiRouteHandler = (request: Request) => Promise<Response>;

/**
 * `cookies()` and `headers()`, loaded on first use: next/headers needs the environment Next's
 * server sets up, which a module importing this one may run before (a custom server, a script).
 */
const nextHeaders = () => import("next/headers.js");

const owners = sessionOwners<NextSession>("wrap the route with stintNext(stint).route()");

/**
 * Next.js (App Router) bindings of a Stint:
 * - `api`: API.md's routes, for a catch-all `app/api/[...stint]/route.ts` (and `app/metrics/route.ts`);
 * - `route(handler)`: an app route handler with `context.session`, committed once it answered
 *   (only for answers below 400: a request that fails changes nothing);
 * - `getSession()` and `commitSession()`: the session through `cookies()` in server components
 *   (read only: they cannot set cookies) and server actions (which commit).
 *
 * @example
 * ```ts
 * // lib/stint.ts
 * export const stint = createStint({ store, secret: process.env.STINT_SECRET! });
 * export const { api, route, getSession, commitSession } = stintNext(stint);
 * // app/api/[...stint]/route.ts
 * export const { GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS } = api;
 * // app/cart/route.ts
 * export const POST = route(requireCsrf(async (request, { session }) => {
 *   session.set("cart", (await request.json()).items);
 *   return Response.json({ ok: true });
 * }));
 * ```
 */
export function stintNext(stint: StintHost<StintSessionData>, options: StintNextOptions = {}) {
  const host = stint as unknown as StintHost<JsonObject>;
  const { clientAddress = () => null } = options;
  const serveApi: ApiRouteHandler = (request) =>
    stint.handler(atAddressedOrigin(request, stint.cookie.secure), { ip: clientAddress(request) ?? null });
  // One load per request, whichever server components ask: cookies() gives each request its own store.
  const loaded = new WeakMap<object, Promise<NextSession>>();

  return {
    /** `export const { GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS } = api;` in `app/api/[...stint]/route.ts`. */
    api: {
      GET: serveApi,
      POST: serveApi,
      PUT: serveApi,
      PATCH: serveApi,
      DELETE: serveApi,
      HEAD: serveApi,
      OPTIONS: serveApi,
    },

    /** An app route handler with `context.session`, committed after it answered below 400. */
    route<Context>(handler: SessionRouteHandler<Context>) {
      return async function stintRoute(request: Request, context: Context): Promise<Response> {
        const credentials = {
          cookie: request.headers.get("cookie"),
          authorization: request.headers.get("authorization"),
        };
        const session = await stint.load(credentials, {
          ip: clientAddress(request) ?? null,
          userAgent: request.headers.get("user-agent"),
        });
        owners.set(session, host);
        const answer = await handler(request, { ...context, session });
        return commitWebAnswer(host, session as StintSession<JsonObject>, answer);
      };
    },

    /**
     * The session of the request being rendered or acted on, read through `cookies()`: in a
     * server component, a server action or a route handler. Loaded once per request. A server
     * component only reads it: rendering a page is not activity, and a session it starts or
     * changes is not kept unless a server action or route handler commits it.
     */
    async getSession(): Promise<NextSession> {
      const { cookies, headers } = await nextHeaders();
      const store = await cookies();
      let session = loaded.get(store);
      if (!session) {
        const token = store.get(stint.cookie.name)?.value;
        const userAgent = (await headers()).get("user-agent");
        session = stint.load(token === undefined ? null : `${stint.cookie.name}=${token}`, { ip: null, userAgent });
        loaded.set(store, session);
      }
      return session;
    },

    /**
     * Writes what the request changed, and its cookie through `cookies().set()`: call it in a
     * server action or a route handler before answering. Next.js throws if a server component
     * calls it (they cannot set cookies).
     */
    async commitSession(session: NextSession, commitOptions?: CommitOptions): Promise<void> {
      const lines = await stint.commit(session, commitOptions);
      if (lines.length === 0) return;
      const store = await (await nextHeaders()).cookies();
      for (const line of lines) store.set(parseSetCookie(line));
    },
  };
}

/**
 * The seeds' `@require_session` around a `route()` handler: API.md's 401 `no_session` unless
 * there is a stored (signed-in) session. In server components, Next's idiom fits better:
 * `if (!(await getSession()).userId) redirect("/login")`.
 */
export function requireSession<Context>(
  handler: SessionRouteHandler<Context>,
  options: { authenticated?: boolean } = {},
): SessionRouteHandler<Context> {
  return function requireSessionGuard(request, context) {
    return sessionRefusal(context.session as StintSession<JsonObject>, options) ?? handler(request, context);
  };
}

/**
 * The seeds' `@require_csrf` around a `route()` handler: for unsafe methods, the Origin check,
 * then the CSRF token from the `X-CSRF-Token` header or the body's `csrf_token` / `_csrf` field
 * (read from a copy: the handler can still read the body). Server actions have Next's own
 * Origin check.
 */
export function requireCsrf<Context>(handler: SessionRouteHandler<Context>): SessionRouteHandler<Context> {
  return async function requireCsrfGuard(request, context) {
    const headerToken = request.headers.get("x-csrf-token") ?? request.headers.get("x-csrftoken");
    const stint = owners.get(context.session);
    const refused = csrfRefusal(stint, context.session as StintSession<JsonObject>, {
      method: request.method,
      origin: addressedOrigin(request, stint.cookie.secure),
      header: (name) => request.headers.get(name),
      body: headerToken ? undefined : await peekBody(request),
    });
    return refused ?? handler(request, context);
  };
}

/**
 * For `middleware.ts` (`proxy.ts` in Next.js 16): does the request carry a well-formed session
 * cookie? No store is read, so this is NOT a security check — a forged, expired or revoked
 * token passes. Use it to send visitors without a cookie to the sign-in page early; every
 * page, action and route must still check the session itself.
 */
export function hasSessionCookie(
  request: { cookies: { get(name: string): { value: string } | undefined } },
  cookieName = "stint_session",
): boolean {
  return parseToken(request.cookies.get(cookieName)?.value) !== null;
}

/**
 * The origin the client addressed. Not `request.url`: Next.js builds that from the hostname
 * it was started with. As Next's own origin check of server actions does: X-Forwarded-Host,
 * else Host (Next's server fills in the X-Forwarded-* headers no proxy set), with the scheme
 * Next recorded — https whenever cookies are secure. A Host that is not a host gives
 * "http://localhost", which no browser sends as Origin, so unsafe requests are refused.
 */
function addressedOrigin(request: Request, secure: boolean): string {
  const url = new URL(request.url);
  const host =
    request.headers.get("x-forwarded-host")?.split(",")[0]?.trim() || request.headers.get("host") || url.host;
  const forwardedProto = request.headers.get("x-forwarded-proto")?.split(",")[0]?.trim();
  const scheme =
    secure || forwardedProto === "https" ? "https" : forwardedProto === "http" ? "http" : url.protocol.slice(0, -1);
  try {
    return new URL(`${scheme}://${host}`).origin;
  } catch {
    return "http://localhost";
  }
}

/** The request at the origin the client addressed, which Stint's handler reads from its URL. */
function atAddressedOrigin(request: Request, secure: boolean): Request {
  const url = new URL(request.url);
  const origin = addressedOrigin(request, secure);
  if (url.origin === origin) return request;
  const bodyless = request.method === "GET" || request.method === "HEAD";
  return new Request(`${origin}${url.pathname}${url.search}`, {
    method: request.method,
    headers: request.headers,
    body: bodyless ? undefined : request.body,
    signal: request.signal,
    // Required by undici for a streamed body.
    ...(bodyless ? {} : { duplex: "half" }),
  } as RequestInit);
}

type CookieToSet = { name: string; value: string } & Record<string, string | number | boolean>;

/** Stint's own `Set-Cookie` line as the options object `cookies().set()` takes. */
function parseSetCookie(line: string): CookieToSet {
  const [pair = "", ...attributes] = line.split("; ");
  const equals = pair.indexOf("=");
  const cookie: CookieToSet = { name: pair.slice(0, equals), value: pair.slice(equals + 1) };
  for (const attribute of attributes) {
    const [key = "", value = ""] = attribute.split("=");
    if (key === "Max-Age") cookie.maxAge = Number(value);
    else if (key === "Domain") cookie.domain = value;
    else if (key === "Path") cookie.path = value;
    else if (key === "SameSite") cookie.sameSite = value.toLowerCase();
    else if (key === "HttpOnly") cookie.httpOnly = true;
    else if (key === "Secure") cookie.secure = true;
    else if (key === "Partitioned") cookie.partitioned = true;
  }
  return cookie;
}
