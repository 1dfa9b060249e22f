import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from "fastify";
import type { Session as StintSession } from "../../core/session.js";
import type { JsonObject } from "../../stores/store.js";
import { isStintPath } from "../handler.js";
import type { StintHost } from "../host.js";
import { refusedMethodAnswer, requestOrigin, toWebRequest } from "./node.js";
import { commitAfterRoute, csrfRefusal, sessionOwners, sessionRefusal } from "./shared.js";

/** Augment it to type `request.session`: `declare module "stint/adapters/fastify" { interface StintSessionData { cart: string[] } }`. */
export interface StintSessionData extends JsonObject {}

declare module "fastify" {
  interface FastifyRequest {
    /** Stint's session for the app's own routes (null on API.md's routes, which Stint answers itself). */
    session: StintSession<StintSessionData>;
  }
}

export interface StintFastifyOptions {
  /** Any Stint: `request.session` is typed by augmenting `StintSessionData`. */
  stint: StintHost<JsonObject>;
}

const owners = sessionOwners<FastifyRequest>("register stintFastify first");

/**
 * Fastify 5 plugin: answers API.md's routes (`/api/*`, `/metrics`) and gives every other route
 * `request.session`, loaded in `onRequest` and committed in `onSend` — before the head is
 * written, and only for answers below 400 (a request that fails changes nothing). Client
 * address, scheme and host come from Fastify, so its `trustProxy` is the one proxy setting.
 *
 * It decorates the registering context (`skip-override`, as fastify-plugin does), while
 * Stint's own routes live in a child context whose only body parser leaves the stream to Stint:
 * its 64 KiB cap and its form and JSON handling apply, and the app's parsers stay untouched.
 *
 * @example
 * ```ts
 * await app.register(stintFastify, { stint });
 * app.get("/me", { preHandler: requireSession() }, async (request) => ({ user: request.session.userId }));
 * app.post("/cart", { preHandler: requireCsrf() }, async (request) => { request.session.set("cart", ["apple"]); return { ok: true }; });
 * ```
 */
async function stintPlugin(fastify: FastifyInstance, { stint }: StintFastifyOptions): Promise<void> {
  const streams = new Set<AbortController>();
  fastify.decorateRequest("session", null as unknown as StintSession<StintSessionData>);
  fastify.addHook("onRequest", async (request) => {
    if (isStintPath(request.url.split("?", 1)[0] ?? "/")) return;
    request.session = await stint.load(
      { cookie: request.headers.cookie, authorization: request.headers.authorization },
      {
        ip: request.ip,
        userAgent: request.headers["user-agent"],
      },
    );
    owners.set(request, stint as unknown as StintHost<JsonObject>);
  });
  fastify.addHook("onSend", async (request, reply, payload) => {
    const session = request.session as StintSession<JsonObject> | null;
    if (!session) return payload;
    const outcome = await commitAfterRoute(owners.get(request), session, reply.statusCode);
    // Fastify unpacks a Response payload into status, headers and body.
    if ("failure" in outcome) return outcome.failure;
    if (outcome.cookies.length > 0) reply.header("set-cookie", outcome.cookies);
    return payload;
  });
  // Open event streams would keep `close()` waiting for ever.
  fastify.addHook("preClose", async () => {
    for (const abort of streams) abort.abort();
  });

  await fastify.register(async function stintApi(api) {
    api.removeAllContentTypeParsers();
    api.addContentTypeParser("*", (_request, _payload, done) => done(null, undefined));
    const serveApi = async (request: FastifyRequest, reply: FastifyReply) => {
      const refused = refusedMethodAnswer(request.raw);
      if (refused) return reply.send(refused);
      const abort = new AbortController();
      streams.add(abort);
      // A client that goes away aborts the request: open event streams end and clean up.
      reply.raw.on("close", () => {
        abort.abort();
        streams.delete(abort);
      });
      const web = toWebRequest(
        request.raw,
        abort.signal,
        requestOrigin(request.raw, { secure: request.protocol === "https" }),
      );
      return reply.send(await stint.handler(web, { ip: request.ip }));
    };
    api.all("/api/*", serveApi);
    api.all("/metrics", serveApi);
  });
}

/** Register with `app.register(stintFastify, { stint })`. */
export const stintFastify = Object.assign(stintPlugin, {
  [Symbol.for("skip-override")]: true,
  [Symbol.for("fastify.display-name")]: "stint",
});

/** The seeds' `@require_session` as a `preHandler`: 401 `no_session` without a stored (signed-in) session. */
export function requireSession(options: { authenticated?: boolean } = {}): preHandlerAsyncHookHandler {
  return async function requireSessionGuard(request, reply) {
    const refused = sessionRefusal(request.session as StintSession<JsonObject>, options);
    return refused ? reply.send(refused) : undefined;
  };
}

/** The seeds' `@require_csrf` as a `preHandler`: for unsafe methods, the Origin check, then the CSRF token. */
export function requireCsrf(): preHandlerAsyncHookHandler {
  return async function requireCsrfGuard(request, reply) {
    const refused = csrfRefusal(owners.get(request), request.session as StintSession<JsonObject>, {
      method: request.method,
      origin: `${request.protocol}://${request.host}`,
      header: (name) => {
        const value = request.headers[name];
        return typeof value === "string" ? value : null;
      },
      body: request.body,
    });
    return refused ? reply.send(refused) : undefined;
  };
}
