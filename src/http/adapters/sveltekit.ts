import type { Handle, RequestEvent } from "@sveltejs/kit";
import type { Session as StintSession } from "../../core/session.js";
import type { JsonObject } from "../../stores/store.js";
import { isStintPath } from "../handler.js";
import type { StintHost } from "../host.js";
import { commitWebAnswer, csrfRefusal, peekBody, sessionOwners, sessionRefusal } from "./shared.js";

/** Augment it to type the session: `declare module "stint/adapters/sveltekit" { interface StintSessionData { cart: string[] } }`. */
export interface StintSessionData extends JsonObject {}

declare global {
  namespace App {
    interface Locals {
      /** Stint's session for the app's pages, actions and endpoints (not set on API.md's routes). */
      session: StintSession<StintSessionData>;
    }
  }
}

const owners = sessionOwners<App.Locals>("export stintHandle(stint) as (or in the sequence of) the handle hook");

/**
 * SvelteKit's `handle` hook: answers API.md's routes (`/api/*`, `/metrics`) with
 * `stint.handler`, and for every other request sets `event.locals.session` — for `load`
 * functions, form actions and `+server` endpoints alike — and commits it once the page or
 * endpoint has answered, before the answer goes out: its cookies in the answer's headers, and
 * only for answers below 400 (a request that fails changes nothing; an error page is not a
 * success). Compose it with others through `sequence()`.
 *
 * @example
 * ```ts
 * // src/hooks.server.ts
 * export const handle = stintHandle(stint);
 * // src/routes/+page.server.ts
 * export const load = ({ locals }) => {
 *   if (!locals.session.userId) redirect(303, "/login");
 *   return { user: locals.session.userId };
 * };
 * ```
 */
export function stintHandle(stint: StintHost<StintSessionData>): Handle {
  const host = stint as unknown as StintHost<JsonObject>;
  return async function stintHandleHook({ event, resolve }) {
    const ip = clientAddress(event);
    if (isStintPath(event.url.pathname)) return stint.handler(event.request, { ip });
    const headers = event.request.headers;
    const session = await stint.load(
      { cookie: headers.get("cookie"), authorization: headers.get("authorization") },
      { ip, userAgent: headers.get("user-agent") },
    );
    event.locals.session = session;
    owners.set(event.locals, host);
    return commitWebAnswer(host, session as StintSession<JsonObject>, await resolve(event));
  };
}

/** Some adapters (and prerendering) cannot tell the client's address: it is unknown then. */
function clientAddress(event: RequestEvent): string | null {
  try {
    return event.getClientAddress();
  } catch {
    return null;
  }
}

/** A `+server` endpoint's handler. */
type Endpoint<Event extends RequestEvent> = (event: Event) => Response | Promise<Response>;

/**
 * The seeds' `@require_session` around a `+server` endpoint: API.md's 401 `no_session` unless
 * there is a stored (signed-in) session. In `load` and actions, SvelteKit's own idiom fits
 * better: `if (!locals.session.userId) redirect(303, "/login")`.
 *
 * @example
 * ```ts
 * export const GET = requireSession(({ locals }) => json({ user: locals.session.userId }));
 * ```
 */
export function requireSession<Event extends RequestEvent>(
  endpoint: Endpoint<Event>,
  options: { authenticated?: boolean } = {},
): Endpoint<Event> {
  return function requireSessionGuard(event) {
    return sessionRefusal(event.locals.session as StintSession<JsonObject>, options) ?? endpoint(event);
  };
}

/**
 * The seeds' `@require_csrf` around a `+server` endpoint: for unsafe methods, the Origin check,
 * then the CSRF token from the `X-CSRF-Token` header or the body's `csrf_token` / `_csrf`
 * field (read from a copy: the endpoint can still read the body). Form actions are covered by
 * SvelteKit's own origin check (`csrf.checkOrigin`); wrap an endpoint for the token check too.
 *
 * @example
 * ```ts
 * export const POST = requireCsrf(async ({ locals, request }) => {
 *   locals.session.set("cart", (await request.json()).items);
 *   return json({ ok: true });
 * });
 * ```
 */
export function requireCsrf<Event extends RequestEvent>(endpoint: Endpoint<Event>): Endpoint<Event> {
  return async function requireCsrfGuard(event) {
    const { request } = event;
    const headerToken = request.headers.get("x-csrf-token") ?? request.headers.get("x-csrftoken");
    const refused = csrfRefusal(owners.get(event.locals), event.locals.session as StintSession<JsonObject>, {
      method: request.method,
      origin: event.url.origin,
      header: (name) => request.headers.get(name),
      body: headerToken ? undefined : await peekBody(request),
    });
    return refused ?? endpoint(event);
  };
}
