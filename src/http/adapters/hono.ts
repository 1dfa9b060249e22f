import type { Context, MiddlewareHandler } from "hono";
import type { GetConnInfo } from "hono/conninfo";
import type { Stint } from "../../app/stint.js";
import { StintError } from "../../core/errors.js";
import type { Session as StintSession } from "../../core/session.js";
import type { JsonObject } from "../../stores/store.js";
import * as guards from "../guards.js";
import { isStintPath } from "../handler.js";
import { errorResponse } from "../json.js";

/** Augment it to type the session: `declare module "stint/adapters/hono" { interface StintSessionData { cart: string[] } }`. */
export interface StintSessionData extends JsonObject {}

/** `new Hono<StintEnv>()` types `c.get("session")`. */
export type StintEnv = { Variables: { session: StintSession<StintSessionData> } };

export interface StintHonoOptions {
  /**
   * The runtime's ConnInfo helper (`getConnInfo` from `@hono/node-server/conninfo`, `hono/bun`,
   * `hono/deno`…): the client address for the per-address limits and the device list. Without
   * it the address is unknown (null).
   */
  getConnInfo?: GetConnInfo;
}

const owners = new WeakMap<Context, Stint<StintSessionData>>();

/**
 * Hono 4 middleware, on any runtime with Web Request/Response: answers API.md's routes
 * (`/api/*`, `/metrics`) with `stint.handler`, and for every other route sets
 * `c.get("session")` and, after the handler, commits it and adds its `Set-Cookie` — only for
 * answers below 400 (a request that fails changes nothing).
 *
 * @example
 * ```ts
 * const app = new Hono<StintEnv>().use(stintHono(stint, { getConnInfo }));
 * app.get("/me", requireSession(), (c) => c.json({ user: c.get("session").userId }));
 * app.post("/cart", requireCsrf(), (c) => { c.get("session").set("cart", ["apple"]); return c.json({ ok: true }); });
 * ```
 */
export function stintHono(stint: Stint<StintSessionData>, options: StintHonoOptions = {}): MiddlewareHandler<StintEnv> {
  const { getConnInfo } = options;
  return async function stintMiddleware(c, next) {
    const ip = getConnInfo?.(c).remote.address ?? null;
    if (isStintPath(c.req.path)) return stint.handler(await unreadRequest(c), { ip });
    const session = await stint.load(c.req.header("cookie"), { ip, userAgent: c.req.header("user-agent") });
    c.set("session", session);
    owners.set(c, stint);
    await next();
    if (c.error || c.res.status >= 400) return;
    let cookies: string[];
    try {
      cookies = await stint.commit(session);
    } catch (error) {
      if (!(error instanceof StintError)) throw error;
      cookies = [];
      c.res = undefined;
      c.res = errorResponse(error);
    }
    if (cookies.length === 0) return;
    // A copy: the handler's Response may have immutable headers (one from fetch(), say).
    const answer = new Response(c.res.body, c.res);
    for (const cookie of cookies) answer.headers.append("set-cookie", cookie);
    // Unset first: assigning over a response merges its Set-Cookie headers over these.
    c.res = undefined;
    c.res = answer;
  };
}

/** The seeds' `@require_session` as middleware: 401 `no_session` without a stored (signed-in) session. */
export function requireSession(options: { authenticated?: boolean } = {}): MiddlewareHandler<StintEnv> {
  return async function requireSessionGuard(c, next) {
    return guard(next, () => guards.requireSession(c.get("session"), options));
  };
}

/** The seeds' `@require_csrf` as middleware: for unsafe methods, the Origin check, then the CSRF token. */
export function requireCsrf(): MiddlewareHandler<StintEnv> {
  return async function requireCsrfGuard(c, next) {
    const stint = owners.get(c);
    if (!stint) throw new Error("No Stint session on this request: use stintHono(stint) before this route.");
    const token = c.req.header("x-csrf-token") || c.req.header("x-csrftoken") ? null : await bodyToken(c);
    const request = guards.guardedWebRequest(c.req.raw, token);
    return guard(next, () => guards.requireCsrf(stint.manager, c.get("session"), request, stint.allowedOrigins));
  };
}

async function guard(next: () => Promise<void>, check: () => void): Promise<Response | undefined> {
  try {
    check();
  } catch (error) {
    if (error instanceof StintError) return errorResponse(error);
    throw error;
  }
  await next();
  return undefined;
}

/** The `_csrf` form field or `csrf_token` JSON field, read through Hono's body cache so the route can read it again. */
async function bodyToken(c: Context): Promise<string | null> {
  const type = c.req.header("content-type") ?? "";
  try {
    let field: unknown;
    if (type.startsWith("application/x-www-form-urlencoded")) field = (await c.req.parseBody())._csrf;
    else if (type.startsWith("application/json")) field = ((await c.req.json()) as JsonObject | null)?.csrf_token;
    return typeof field === "string" ? field : null;
  } catch {
    return null;
  }
}

/**
 * The request for Stint. When a validator or middleware already read the body, Hono kept it
 * (`bodyCache`): the same content goes to Stint, a parsed form re-encoded.
 */
async function unreadRequest(c: Context): Promise<Request> {
  const raw = c.req.raw;
  if (!raw.bodyUsed) return raw;
  const form = await c.req.bodyCache.formData;
  const fields = form ? [...form].filter((entry): entry is [string, string] => typeof entry[1] === "string") : null;
  const body = fields ? new URLSearchParams(fields) : await c.req.arrayBuffer();
  const headers = new Headers(raw.headers);
  headers.delete("content-length");
  return new Request(raw.url, { method: raw.method, headers, body, signal: raw.signal });
}
