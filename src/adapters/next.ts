/** `stint/adapters/next`: Next.js App Router — API route handlers, `route()` with the session, `getSession()`/`commitSession()` through `cookies()`, a cookie check for middleware. */
export {
  hasSessionCookie,
  type NextSession,
  requireCsrf,
  requireSession,
  type SessionRouteHandler,
  type StintNextOptions,
  type StintSessionData,
  stintNext,
} from "../http/adapters/next.js";
