/**
 * The wire shapes of API.md that the server and the browser client both speak. Types only:
 * the client imports this module and nothing else of the server, so no server code is ever
 * bundled into a page, and neither side can drift from the other.
 */

/** The `code` of every error body (API.md's error table). */
export type ErrorCode =
  | "bad_request"
  | "no_session"
  | "invalid_credentials"
  | "origin_mismatch"
  | "csrf_invalid"
  | "not_found"
  | "method_not_allowed"
  | "conflict"
  | "username_taken"
  | "payload_too_large"
  | "rate_limited"
  | "store_unavailable";

/** Every error answer: `{ "error": { "code", "message" } }`; the message never holds a token. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

export interface PublicUser {
  id: string;
  username: string;
}

/** `GET /api/session`, a login or register, `POST /api/session/extend`. */
export interface SessionInfo {
  session: {
    id: string;
    userId: string | null;
    createdAt: string;
    lastSeenAt: string;
    expiresAt: string;
    absoluteExpiresAt: string;
    elapsedSeconds: number;
    remainingSeconds: number;
    persistent: boolean;
    authenticatedAt: string | null;
  };
  user: PublicUser | null;
  csrfToken: string;
}

/** `GET` and `PATCH /api/session/state` (and the user's state). */
export interface StateBody<State = Record<string, unknown>> {
  state: State;
  version: number;
  updatedAt: string;
}

/** One entry of `GET /api/sessions`. */
export interface DeviceInfo {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  userAgent: string | null;
  ip: string | null;
  current: boolean;
}

/** The events of `GET /api/session/events`. */
export type StreamEventType = "state" | "extended" | "revoked" | "logout";

/** A stream event as it travels between processes and to a session's open streams. */
export interface StreamEvent {
  sessionId: string;
  type: StreamEventType;
  data: Record<string, unknown>;
}
