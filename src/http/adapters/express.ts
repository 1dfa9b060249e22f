import type {
  ErrorRequestHandler,
  Request as ExpressRequest,
  Response as ExpressResponse,
  NextFunction,
  RequestHandler,
} from "express";
import { BadRequestError, PayloadTooLargeError } from "../../core/errors.js";
import type { CommitOptions } from "../../core/manager.js";
import type { ClientContext, Session as StintSession } from "../../core/session.js";
import type { JsonObject } from "../../stores/store.js";
import { isStintPath } from "../handler.js";
import type { StintHost } from "../host.js";
import { errorResponse } from "../json.js";
import { commitBeforeEnd } from "./commit-before-end.js";
import {
  credentialsOf,
  keepEarlierCookies,
  refusedMethodAnswer,
  requestOrigin,
  sendWebResponse,
  toWebRequestAfterParser,
} from "./node.js";
import { csrfRefusal, sessionOwners, sessionRefusal } from "./shared.js";

/** Augment it to type `req.session`: `declare module "stint/adapters/express" { interface StintSessionData { cart: string[] } }`. */
export interface StintSessionData extends JsonObject {}

declare global {
  namespace Express {
    interface Request {
      /** Stint's session for the app's own routes (not set on API.md's routes, which Stint answers itself). */
      session: StintSession<StintSessionData>;
    }
  }
}

const owners = sessionOwners<ExpressRequest>("mount stintExpress(stint) before this route");

/**
 * Express 5 middleware: answers API.md's routes (`/api/*`, `/metrics`) and loads `req.session`
 * for every other route. The client address, scheme and host come from Express itself, so
 * `app.set("trust proxy", …)` is the one proxy setting. Mount it at the root.
 *
 * The session is committed before the response head goes out (the answer is held back until
 * the store has the change, as express-session does), so a route never loses a change or an
 * activity update; `await commitSession(req, res)` commits earlier, before a streamed answer.
 * Answers of 400 and above change nothing.
 *
 * The second function answers body-parser failures (bad JSON, too large) on Stint's routes,
 * since `express.json()` mounted earlier sends them to error middleware, not to the first.
 *
 * @example
 * ```ts
 * app.use(express.json(), stintExpress(stint));
 * app.get("/me", requireSession(), (req, res) => res.json({ user: req.session.userId }));
 * app.post("/cart", requireCsrf(), (req, res) => { req.session.set("cart", req.body.items); res.sendStatus(204); });
 * ```
 */
export function stintExpress<Data extends JsonObject>(stint: StintHost<Data>): [RequestHandler, ErrorRequestHandler] {
  const host = stint as unknown as StintHost<JsonObject>;
  const serveApi = async (req: ExpressRequest, res: ExpressResponse, body?: string | Uint8Array<ArrayBuffer>) => {
    const refused = refusedMethodAnswer(req);
    if (refused) return sendWebResponse(refused, res);
    const abort = new AbortController();
    // A client that goes away aborts the request: open event streams end and clean up.
    res.on("close", () => abort.abort());
    const request = toWebRequestAfterParser(req, abort.signal, {
      origin: requestOrigin(req, { secure: req.protocol === "https" }),
      target: req.originalUrl,
      body: body ?? req.body,
      form: Boolean(req.is("application/x-www-form-urlencoded")),
    });
    const answer = await stint.handler(request, { ip: req.ip ?? null });
    await sendWebResponse(keepEarlierCookies(answer, res), res);
  };

  return [
    function stintMiddleware(req: ExpressRequest, res: ExpressResponse, next: NextFunction) {
      if (isStintPath(req.path)) return serveApi(req, res).catch(next);
      const ready = (session: StintSession<JsonObject>) => {
        req.session = session;
        owners.set(req, host);
        commitBeforeEnd(host, session, res, sendWebResponse);
        next();
      };
      const loaded = host.load(credentialsOf(req), new ExpressClient(req));
      // A session answered from memory goes on at once: the route then runs, and usually answers,
      // inside the request's own event.
      if (loaded instanceof Promise) loaded.then(ready, next);
      else ready(loaded);
    },
    function stintBodyErrors(error: unknown, req: ExpressRequest, res: ExpressResponse, next: NextFunction) {
      const failure = error as { type?: unknown; status?: unknown; body?: unknown };
      if (!isStintPath(req.path) || typeof failure?.type !== "string" || typeof failure.status !== "number") {
        return next(error);
      }
      // A parse failure keeps the raw text: Stint answers it exactly as without express.json().
      if (typeof failure.body === "string") return serveApi(req, res, failure.body);
      const stintError =
        failure.status === 413
          ? new PayloadTooLargeError("The request body is over 64 KiB.")
          : new BadRequestError("The request body could not be read.");
      return sendWebResponse(errorResponse(stintError), res);
    },
  ];
}

/**
 * The request's client. The address is read only when Stint needs it (a new session, the
 * network fingerprint): Express works it out through the `trust proxy` setting, which would
 * otherwise cost every read request. A getter on the prototype, not in an object literal,
 * keeps this cheaper than what it saves.
 */
class ExpressClient implements ClientContext {
  readonly userAgent: string | null;
  readonly #req: ExpressRequest;
  constructor(req: ExpressRequest) {
    this.#req = req;
    this.userAgent = req.headers["user-agent"] ?? null;
  }
  get ip(): string | null {
    return this.#req.ip ?? null;
  }
}

/** Commits now, before a streamed answer; otherwise the session is committed before the head goes out. */
export async function commitSession(req: ExpressRequest, res: ExpressResponse, options?: CommitOptions): Promise<void> {
  if (res.headersSent) throw new Error("commitSession() must run before the response is sent.");
  const cookies = await owners.get(req).commit(req.session as StintSession<JsonObject>, options);
  if (cookies.length > 0) res.append("Set-Cookie", [...cookies]);
}

/** The seeds' `@require_session`: 401 `no_session` unless there is a stored (signed-in) session. */
export function requireSession(options: { authenticated?: boolean } = {}): RequestHandler {
  return function requireSessionGuard(req, res, next) {
    answerOr(res, next, sessionRefusal(req.session as StintSession<JsonObject>, options));
  };
}

/** The seeds' `@require_csrf`: for unsafe methods, the Origin check, then the session's CSRF token. */
export function requireCsrf(): RequestHandler {
  return function requireCsrfGuard(req, res, next) {
    const refused = csrfRefusal(owners.get(req), req.session as StintSession<JsonObject>, {
      method: req.method,
      origin: `${req.protocol}://${req.get("host") ?? "localhost"}`,
      header: (name) => req.get(name),
      body: req.body,
    });
    answerOr(res, next, refused);
  };
}

function answerOr(res: ExpressResponse, next: NextFunction, refused: Response | null): void {
  if (refused) void sendWebResponse(refused, res);
  else next();
}
