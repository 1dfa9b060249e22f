import type { IncomingMessage } from "node:http";
import { StoreUnavailableError } from "../core/errors.js";
import type { Session } from "../core/session.js";
import { clientOf } from "../http/adapters/node.js";
import type { SessionInfo } from "../protocol.js";
import { callApi } from "./api-bridge.js";
import type { DemoContext } from "./context.js";

export interface Visitor {
  session: Session;
  /** `Set-Cookie` values the page's answer must carry (a cleared or refreshed cookie). */
  cookies: string[];
  /** The session's CSRF token for no-JS forms; null while the visitor has no stored session. */
  csrfToken: string | null;
}

/**
 * The visitor's session, with this page view counted as activity (API.md: every request with
 * a valid session is, except the passive API reads). The cheap path: the Cookie header in,
 * Set-Cookie strings out, and a store write only when the touch interval has passed.
 */
export async function visit(context: DemoContext, request: IncomingMessage): Promise<Visitor> {
  const { stint } = context;
  const session = await stint.load(request.headers.cookie, clientOf(request, context.trustProxy));
  const cookies = [...(await stint.commit(session, { activity: true }))];
  const csrfToken = session.isNew || session.isDestroyed ? null : stint.csrfToken(session);
  return { session, cookies, csrfToken };
}

export interface SignedIn extends Visitor {
  info: SessionInfo;
}

/**
 * A signed-in visitor with API.md's SessionInfo (user name and session times, read passively
 * through the API), or null when there is no signed-in session: then the caller redirects
 * to /login, passing on `cookies` (which may clear a dead cookie).
 */
export async function signedInVisitor(
  context: DemoContext,
  request: IncomingMessage,
): Promise<{ visitor: SignedIn | null; cookies: string[] }> {
  const visitor = await visit(context, request);
  if (visitor.session.isNew || visitor.session.userId === null) return { visitor: null, cookies: visitor.cookies };
  const answer = await callApi(context.stint, request, { method: "GET", path: "/api/session" }, context);
  const cookies = [...visitor.cookies, ...answer.cookies];
  if (answer.status === 401) return { visitor: null, cookies };
  // Fail closed, and say so: a store outage is not "signed out".
  if (!answer.ok) throw new StoreUnavailableError();
  return { visitor: { ...visitor, cookies, info: answer.body as SessionInfo }, cookies };
}
