/**
 * `stint/client`: the browser side of Stint. No dependencies; runs in any modern browser.
 *
 * @example
 * ```ts
 * import { SessionClient } from "stint/client";
 *
 * const client = new SessionClient();
 * client.on("expired", () => location.assign("/login"));
 * await client.init();
 * ```
 */
export {
  BearerClient,
  type BearerClientOptions,
  type BearerStreamEvent,
  createBearerSession,
} from "./client/bearer-client.js";
export type { Clock } from "./client/clock.js";
export { systemClock } from "./client/clock.js";
export type { DebugLogger } from "./client/debug.js";
export type { ApiErrorCode, StintClientErrorCode } from "./client/errors.js";
export { isStintClientError, StintClientError } from "./client/errors.js";
export type { EventSourceFactory, EventSourceLike } from "./client/event-stream.js";
export type { ChangeSource, SessionClientEvents } from "./client/events.js";
export type { HeartbeatLeaderOptions, Leader, LockManagerLike } from "./client/leader.js";
export { createLeader, heartbeatLeader, soloLeader, webLocksLeader } from "./client/leader.js";
export type { AppMessage, ChannelMessage, TabMessage, TabSignal } from "./client/messages.js";
export { parseTabMessage, tabSignals } from "./client/messages.js";
export type { ClientMetrics } from "./client/metrics.js";
export type { AutoExtendOptions, SessionClientOptions } from "./client/options.js";
export { SessionClient } from "./client/session-client.js";
export type { TabChannel } from "./client/tab-channel.js";
export { broadcastTabChannel, createTabChannel, silentTabChannel, storageTabChannel } from "./client/tab-channel.js";
export type {
  SessionDetails,
  SessionInfo,
  SessionSnapshot,
  SessionState,
  SessionStatus,
  SessionUser,
  StateSnapshot,
} from "./client/types.js";
