/**
 * Stint: server-side sessions for TypeScript web apps.
 *
 * @example
 * ```ts
 * import { createStint, sqliteStore } from "stint";
 * const stint = createStint({ store: sqliteStore({ path: "./data/stint.db" }), secret: process.env.STINT_SECRET! });
 * ```
 */

export type { AccountsConfig } from "./app/accounts.js";
export { createStint, type Stint, type StintOptions } from "./app/stint.js";
export { createAccounts } from "./auth/accounts.js";
export { createPasswordHasher, hashPassword, verifyPassword } from "./auth/password.js";
export { createAttemptLimiter } from "./auth/throttle.js";
export { memoryUserStore, sqliteUserStore, type UserRecord, type UserStore } from "./auth/users.js";
export { type Clock, systemClock } from "./core/clock.js";
export { parseCookies, readCookie, serializeCookie } from "./core/cookie.js";
export { csrfTokenFor, isOriginAllowed, verifyCsrfToken } from "./core/csrf.js";
export { formatDuration, parseDuration } from "./core/duration.js";
export * from "./core/errors.js";
export { EventBus, type StintEvent, type StintEventName, type StintEvents } from "./core/events.js";
export { type CommitOptions, SessionManager, type SessionManagerOptions } from "./core/manager.js";
export { type Policy, type PolicyOptions, resolvePolicy } from "./core/policy.js";
export type { StandardSchemaV1 } from "./core/schema.js";
export { SecretRing } from "./core/secrets.js";
export { type ClientContext, Session } from "./core/session.js";
export { generateToken, hashSecret, parseToken } from "./core/token.js";
export type { AccountService, HealthReport } from "./http/context.js";
export type { EventTransport, StreamEvent } from "./http/event-hub.js";
export {
  type GuardedRequest,
  guardedWebRequest,
  requireCsrf,
  requireSameOrigin,
  requireSession,
} from "./http/guards.js";
export { type ConnectionInfo, createHandler, type StintHandler } from "./http/handler.js";
export type { SessionInfo } from "./http/session-info.js";
export { openStoreUrl } from "./stores/from-url.js";
export { memoryStore } from "./stores/memory.js";
export { sqliteStore } from "./stores/sqlite.js";
export type * from "./stores/store.js";
