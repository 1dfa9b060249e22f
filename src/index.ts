/**
 * Stint: server-side sessions for TypeScript web apps. This entry loads no native module and
 * no store driver: the stores live in their own entries ("stint/sqlite", "stint/redis",
 * "stint/postgres", "stint/file"), the accounts in "stint/accounts".
 *
 * @example
 * ```ts
 * import { createStint } from "stint";
 * import { sqliteStore } from "stint/sqlite";
 * const stint = createStint({ store: sqliteStore({ path: "./data/stint.db" }), secret: process.env.STINT_SECRET! });
 * ```
 */

export { createStint, type Stint, type StintOptions } from "./app/stint.js";
export type { Clock } from "./core/clock.js";
export { parseDuration } from "./core/duration.js";
export {
  BadRequestError,
  ConflictError,
  CsrfInvalidError,
  type ErrorBody,
  type ErrorCode,
  InvalidCredentialsError,
  NoSessionError,
  NotFoundError,
  OriginMismatchError,
  PayloadTooLargeError,
  RateLimitedError,
  StintError,
  StoreConflictError,
  StoreUnavailableError,
  toErrorBody,
  UsernameTakenError,
} from "./core/errors.js";
export type { AdminAction, RevokeReason, StintEvent, StintEventName, StintEvents } from "./core/events.js";
export type { CommitOptions, FingerprintOptions } from "./core/manager.js";
export type { PolicyOptions } from "./core/policy.js";
export type { StandardSchemaV1 } from "./core/schema.js";
export { type ClientContext, Session } from "./core/session.js";
export type { SessionControl } from "./core/session-control.js";
export type { CookieSettings } from "./core/session-cookie.js";
export type { StateChange, UserStates } from "./core/user-state.js";
export type { AdminOptions } from "./http/admin-gate.js";
export type { HealthReport } from "./http/context.js";
export type { SessionCredentials } from "./http/credentials.js";
export { assertSession, type GuardedRequest, guardedWebRequest } from "./http/guards.js";
export type { ConnectionInfo, StintHandler } from "./http/handler.js";
export type { StintHost } from "./http/host.js";
export type {
  BearerSessionInfo,
  DeviceInfo,
  PublicUser,
  SessionInfo,
  SessionTransport,
  StateBody,
  StatePatchBody,
  StreamEvent,
} from "./protocol.js";
export { fallbackStore } from "./stores/fallback.js";
export { type MemoryStoreOptions, memoryStore } from "./stores/memory.js";
export type {
  AttemptCounts,
  AttemptOutcome,
  AttemptWindow,
  CreateOptions,
  CreateResult,
  JsonObject,
  PatchResult,
  ScanOptions,
  SessionMeta,
  SessionPatch,
  SessionRecord,
  Store,
  StoreCapabilities,
  StoreHealth,
  StoreOperations,
  UserStateEntry,
  UserStatePatch,
  UserStatePatchResult,
  UserStateRecord,
  UserStateStore,
} from "./stores/store.js";
export type { PubSub } from "./transports/pubsub.js";
export type { EventTransport } from "./transports/transport.js";
