import type { ServerResponse } from "node:http";
import { StintError } from "../../core/errors.js";
import type { Session } from "../../core/session.js";
import type { JsonObject } from "../../stores/store.js";
import { assertSession, csrfBodyToken, type GuardedRequest } from "../guards.js";
import type { MaybePromise, StintHost } from "../host.js";
import { errorResponse } from "../json.js";

/**
 * What every framework adapter shares, so that each of them only translates: which Stint
 * loaded a request's session, the guards as one check each, and the commit after the route.
 */

/** Remembers which Stint loaded the session of each request (the guards need it). */
export function sessionOwners<Key extends object>(setupHint: string) {
  const owners = new WeakMap<Key, StintHost<JsonObject>>();
  return {
    set(key: Key, stint: StintHost<JsonObject>): void {
      owners.set(key, stint);
    },
    get(key: Key): StintHost<JsonObject> {
      const stint = owners.get(key);
      if (!stint) throw new Error(`No Stint session on this request: ${setupHint}.`);
      return stint;
    },
  };
}

/** The facts of a framework's request the CSRF guard reads. */
export interface GuardFacts {
  method: string;
  /** scheme://host[:port] as the client addressed this server. */
  origin: string;
  header(name: string): string | null | undefined;
  /** The parsed body, when the framework parsed one (for `csrf_token` / `_csrf`). */
  body?: unknown;
}

/** The seeds' `@require_csrf` for an app route: null when it passes, else the 403 answer. */
export function csrfRefusal(stint: StintHost<JsonObject>, session: Session<JsonObject>, facts: GuardFacts) {
  const request: GuardedRequest = {
    method: facts.method,
    origin: facts.origin,
    header: (name) => facts.header(name) ?? null,
    bodyToken: csrfBodyToken(facts.body),
  };
  return refusal(() => stint.assertCsrf(session, request));
}

/** The seeds' `@require_session` for an app route: null when it passes, else the 401 answer. */
export function sessionRefusal(session: Session<JsonObject> | null, options: { authenticated?: boolean }) {
  return refusal(() => {
    if (!session) throw new Error("No Stint session on this request: mount Stint's middleware before the guard.");
    assertSession(session, options);
  });
}

/** Runs a check; a StintError becomes its API answer, anything else is a bug and is thrown. */
export function refusal(check: () => void): Response | null {
  try {
    check();
    return null;
  } catch (error) {
    if (error instanceof StintError) return errorResponse(error);
    throw error;
  }
}

/**
 * Commits an app route's session after the route ran: only for answers below 400 (a request
 * that fails changes nothing). The `Set-Cookie` values, or the error answer that replaces the
 * route's when the commit fails (store down, state too large, a stale version).
 */
export function commitAfterRoute(
  stint: StintHost<JsonObject>,
  session: Session<JsonObject>,
  status: number,
): MaybePromise<CommitOutcome> {
  if (status >= 400) return NOTHING_COMMITTED;
  let committed: MaybePromise<readonly string[]>;
  try {
    committed = stint.commit(session);
  } catch (error) {
    return failed(error);
  }
  // Most requests changed nothing: their answer goes out at once, inside the request's event.
  if (!(committed instanceof Promise)) return committed.length === 0 ? NOTHING_COMMITTED : { cookies: committed };
  return committed.then((cookies) => ({ cookies }), failed);
}

/** The cookies a committed route's answer carries, or the error answer that replaces it. */
export type CommitOutcome = { cookies: readonly string[] } | { failure: Response };

const NOTHING_COMMITTED: CommitOutcome = Object.freeze({ cookies: Object.freeze([]) });

function failed(error: unknown): CommitOutcome {
  if (error instanceof StintError) return { failure: errorResponse(error) };
  throw error;
}

/**
 * A Web answer with Stint's `Set-Cookie` values added: a copy, since the route's Response may
 * have immutable headers (one from `fetch()`, say).
 */
export function withSetCookies(response: Response, cookies: readonly string[]): Response {
  if (cookies.length === 0) return response;
  const answer = new Response(response.body, response);
  for (const cookie of cookies) answer.headers.append("set-cookie", cookie);
  return answer;
}

/**
 * Commits the session of a Web-standard route after it answered (Hono, SvelteKit, Next's route
 * handlers): its cookies added, or the failure's answer instead of the route's.
 */
export async function commitWebAnswer(
  stint: StintHost<JsonObject>,
  session: Session<JsonObject>,
  response: Response,
): Promise<Response> {
  const outcome = await commitAfterRoute(stint, session, response.status);
  return "failure" in outcome ? outcome.failure : withSetCookies(response, outcome.cookies);
}

/**
 * A Web Request's form or JSON body for the CSRF guard (`csrf_token`, `_csrf`), read from a
 * copy so the route can still read it; undefined when there is none or it is unreadable.
 */
export async function peekBody(request: Request): Promise<unknown> {
  const type = request.headers.get("content-type") ?? "";
  try {
    if (type.startsWith("application/x-www-form-urlencoded")) {
      return Object.fromEntries(new URLSearchParams(await request.clone().text()));
    }
    if (type.startsWith("application/json")) return await request.clone().json();
  } catch {
    // An unreadable body carries no token: the guard answers 403.
  }
  return undefined;
}

/** Would committing this session need a `Set-Cookie` (a new, signed-in, rotated or ended session)? */
export function needsCookie(session: Session<JsonObject>): boolean {
  if (session.isDestroyed) return !session.isNew || session.presentedInvalidToken;
  if (session.pendingIdentity.kind !== "none") return true;
  return session.isNew && (session.hasContentChanges || session.persistRequested);
}

/** Adds `Set-Cookie` values to those a response already has. */
export function appendSetCookie(response: ServerResponse, cookies: readonly string[]): void {
  const existing = response.getHeader("set-cookie");
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  response.setHeader("set-cookie", [...list, ...cookies]);
}
