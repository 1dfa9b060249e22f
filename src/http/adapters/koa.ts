import type { Context, Middleware, Next } from "koa";
import type { Session as StintSession } from "../../core/session.js";
import type { JsonObject } from "../../stores/store.js";
import { isStintPath } from "../handler.js";
import type { StintHost } from "../host.js";
import { keepEarlierCookies, requestOrigin, sendWebResponse, toWebRequestAfterParser } from "./node.js";
import { commitAfterRoute, csrfRefusal, sessionOwners, sessionRefusal } from "./shared.js";

/** Augment it to type `ctx.session`: `declare module "stint/adapters/koa" { interface StintSessionData { cart: string[] } }`. */
export interface StintSessionData extends JsonObject {}

declare module "koa" {
  interface DefaultContext {
    /** Stint's session for the app's own routes (not set on API.md's routes, which Stint answers itself). */
    session: StintSession<StintSessionData>;
  }
}

/** What Koa's body parsers (`@koa/bodyparser`, `koa-body`) leave on the request. */
type ParsedRequest = { body?: unknown; rawBody?: unknown };

const owners = sessionOwners<Context>("use stintKoa(stint) before this middleware");

/**
 * Koa 3 middleware: answers API.md's routes (`/api/*`, `/metrics`) and gives every other
 * route `ctx.session`, committed after the downstream middleware has run — only for answers
 * below 400, and not at all when it threw (a request that fails changes nothing). Client
 * address, scheme and host come from Koa, so `app.proxy` is the one proxy setting. Use it
 * first, or after a body parser: Stint's routes then get the body the parser read.
 *
 * @example
 * ```ts
 * app.use(stintKoa(stint));
 * router.get("/me", requireSession(), (ctx) => { ctx.body = { user: ctx.session.userId }; });
 * router.post("/cart", requireCsrf(), (ctx) => { ctx.session.set("cart", ["apple"]); ctx.body = { ok: true }; });
 * ```
 */
export function stintKoa(stint: StintHost<StintSessionData>): Middleware {
  const host = stint as unknown as StintHost<JsonObject>;
  return async function stintMiddleware(ctx: Context, next: Next) {
    if (isStintPath(ctx.path)) return serveApi(stint, ctx);
    const session = await stint.load(
      { cookie: ctx.get("cookie"), authorization: ctx.get("authorization") || null },
      { ip: ctx.ip || null, userAgent: ctx.get("user-agent") },
    );
    ctx.session = session;
    owners.set(ctx, host);
    await next();
    const outcome = await commitAfterRoute(host, session as StintSession<JsonObject>, ctx.status);
    // Koa 3 takes a Response as the body: its status and headers replace the route's.
    if ("failure" in outcome) ctx.body = outcome.failure;
    else if (outcome.cookies.length > 0) ctx.append("Set-Cookie", outcome.cookies);
  };
}

/**
 * Stint answers on the raw response (`ctx.respond = false`): Koa would turn a HEAD answer's
 * empty body into a 204 and buffer nothing of an event stream.
 */
async function serveApi(stint: StintHost<StintSessionData>, ctx: Context): Promise<void> {
  const abort = new AbortController();
  // A client that goes away aborts the request: open event streams end and clean up.
  ctx.res.on("close", () => abort.abort());
  const parsed = ctx.request as unknown as ParsedRequest;
  const request = toWebRequestAfterParser(ctx.req, abort.signal, {
    origin: ownOrigin(ctx),
    target: ctx.originalUrl,
    body: typeof parsed.rawBody === "string" ? parsed.rawBody : parsed.body,
    form: Boolean(ctx.is("urlencoded")),
  });
  const answer = await stint.handler(request, { ip: ctx.ip || null });
  ctx.respond = false;
  await sendWebResponse(keepEarlierCookies(answer, ctx.res), ctx.res);
}

/** The seeds' `@require_session` as middleware: 401 `no_session` without a stored (signed-in) session. */
export function requireSession(options: { authenticated?: boolean } = {}): Middleware {
  return async function requireSessionGuard(ctx: Context, next: Next) {
    if (answered(ctx, sessionRefusal(ctx.session as StintSession<JsonObject>, options))) return;
    await next();
  };
}

/**
 * The seeds' `@require_csrf` as middleware: for unsafe methods, the Origin check, then the
 * CSRF token from the `X-CSRF-Token` header, or from the `csrf_token` / `_csrf` field of a
 * body a parser mounted earlier has read.
 */
export function requireCsrf(): Middleware {
  return async function requireCsrfGuard(ctx: Context, next: Next) {
    const refused = csrfRefusal(owners.get(ctx), ctx.session as StintSession<JsonObject>, {
      method: ctx.method,
      origin: ownOrigin(ctx),
      header: (name) => ctx.get(name) || null,
      body: (ctx.request as unknown as ParsedRequest).body,
    });
    if (answered(ctx, refused)) return;
    await next();
  };
}

/**
 * This server's origin as the client addressed it. Not `ctx.origin`: in Koa 3 that is the
 * request's Origin header.
 */
function ownOrigin(ctx: Context): string {
  return requestOrigin(ctx.req, { trustProxy: ctx.app.proxy, secure: ctx.protocol === "https" });
}

/** Answers with a guard's refusal (Koa 3 takes a Response as the body); whether there was one. */
function answered(ctx: Context, refused: Response | null): boolean {
  if (refused) ctx.body = refused;
  return refused !== null;
}
