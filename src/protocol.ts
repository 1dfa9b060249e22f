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

/**
 * A sign-in with `X-Stint-Transport: bearer`: the usual SessionInfo plus the token to send as
 * `Authorization: Bearer <token>` (no cookie is set). The only answer that carries a token.
 */
export interface BearerSessionInfo extends SessionInfo {
  token: string;
}

/** How a session's token travels: the cookie (browsers) or `Authorization: Bearer` (anything else). */
export type SessionTransport = "cookie" | "bearer";

/** `GET` and `PATCH /api/session/state`, and `/api/user/state`. */
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
  /** "bearer" for a session signed in with `X-Stint-Transport: bearer`. */
  transport: SessionTransport;
  current: boolean;
}

/** `PATCH /api/session/state`, `/api/user/state` and `/api/admin/sessions/:id/state`. */
export interface StatePatchBody {
  set?: Record<string, unknown>;
  unset?: string[];
  ifVersion?: number;
}

/** The events of `GET /api/session/events` that concern one session. */
export type SessionStreamEventType = "state" | "extended" | "revoked" | "logout";

/** The events of `GET /api/session/events`: `user-state` goes to every session of the user. */
export type StreamEventType = SessionStreamEventType | "user-state";

/** A stream event as it travels between processes and to the open streams it concerns. */
export type StreamEvent =
  | { sessionId: string; type: SessionStreamEventType; data: Record<string, unknown> }
  | { userId: string; type: "user-state"; data: Record<string, unknown> };
