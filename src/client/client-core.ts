import type { Clock } from "./clock.js";
import type { DebugLogger } from "./debug.js";
import type { Emitter, SessionClientEvents } from "./events.js";
import type { TabSignal } from "./messages.js";
import type { MetricsRecorder } from "./metrics.js";
import type { ApiTransport } from "./transport.js";
import type { SessionSnapshot, SessionState } from "./types.js";

/**
 * What the parts of a `SessionClient` share: its clock, log, metrics and requests, its one
 * snapshot, its events, and the channel to the other tabs. The client builds one and hands it
 * to each part (state, tab messages, lifecycle), so no part reaches into another.
 */
export interface ClientCore<State extends SessionState, UserState extends SessionState = SessionState> {
  readonly clock: Clock;
  readonly log: DebugLogger;
  readonly metrics: MetricsRecorder;
  readonly api: ApiTransport;
  readonly emitter: Emitter<SessionClientEvents<State, UserState>>;
  /** The current snapshot. */
  snapshot(): SessionSnapshot<State, UserState>;
  /** Replaces the snapshot with `patch` applied, and tells every `change` listener. */
  set(patch: Partial<SessionSnapshot<State, UserState>>): void;
  /** An API call; a lost session (401 `no_session`) also ends it here and in every tab. */
  call(
    method: string,
    path: string,
    body?: unknown,
    options?: { absentOk?: boolean },
  ): Promise<{ status: number; body: unknown }>;
  /** Signals the other tabs of this browser. */
  post(type: TabSignal, version?: number): void;
  /** A background failure, for the `error` event. */
  report(error: unknown): void;
}
