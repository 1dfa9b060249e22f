import type { Context, MiddlewareHandler } from "hono";
import type { GetConnInfo } from "hono/conninfo";
import type { Session as StintSession } from "../../core/session.js";
import type { JsonObject } from "../../stores/store.js";
import { isStintPath } from "../handler.js";
import type { StintHost } from "../host.js";
import { commitWebAnswer, csrfRefusal, sessionOwners, sessionRefusal } from "./shared.js";

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

const owners = sessionOwners<Context>("use stintHono(stint) before this route");

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
export function stintHono<Data extends JsonObject>(
  stint: StintHost<Data>,
  options: StintHonoOptions = {},
): MiddlewareHandler<StintEnv> {
  const { getConnInfo } = options;
  return async function stintMiddleware(c, next) {
    const ip = getConnInfo?.(c).remote.address ?? null;
    if (isStintPath(c.req.path)) return stint.handler(await unreadRequest(c), { ip });
    const session = await stint.load(
      { cookie: c.req.header("cookie"), authorization: c.req.header("authorization") },
      { ip, userAgent: c.req.header("user-agent") },
    );
    c.set("session", session);
    owners.set(c, stint as unknown as StintHost<JsonObject>);
    await next();
    if (c.error) return;
    const answer = await commitWebAnswer(owners.get(c), session as StintSession<JsonObject>, c.res);
    if (answer === c.res) return;
    // Unset first: assigning over a response merges its Set-Cookie headers over these.
    c.res = undefined;
    c.res = answer;
  };
}

/** The seeds' `@require_session` as middleware: 401 `no_session` without a stored (signed-in) session. */
export function requireSession(options: { authenticated?: boolean } = {}): MiddlewareHandler<StintEnv> {
  return async function requireSessionGuard(c, next) {
    const refused = sessionRefusal(c.get("session") as StintSession<JsonObject>, options);
    if (refused) return refused;
    await next();
  };
}

/** The seeds' `@require_csrf` as middleware: for unsafe methods, the Origin check, then the CSRF token. */
export function requireCsrf(): MiddlewareHandler<StintEnv> {
  return async function requireCsrfGuard(c, next) {
    const stint = owners.get(c);
    const headerToken = c.req.header("x-csrf-token") || c.req.header("x-csrftoken");
    const refused = csrfRefusal(stint, c.get("session") as StintSession<JsonObject>, {
      method: c.req.method,
      origin: new URL(c.req.url).origin,
      header: (name) => c.req.header(name),
      body: headerToken ? undefined : await parsedBody(c),
    });
    if (refused) return refused;
    await next();
  };
}

/** The form or JSON body, read through Hono's body cache so the route can read it again. */
async function parsedBody(c: Context): Promise<unknown> {
  const type = c.req.header("content-type") ?? "";
  try {
    if (type.startsWith("application/x-www-form-urlencoded")) return await c.req.parseBody();
    if (type.startsWith("application/json")) return await c.req.json();
  } catch {
    // An unreadable body carries no token: the guard answers 403.
  }
  return undefined;
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
