import type { PublicUser, SessionInfo as ServerSessionInfo } from "../protocol.js";
import { StintClientError } from "./errors.js";

/**
 * API.md's shapes are the server's own types (type-only imports: nothing of the server is
 * bundled), so the client cannot drift from what the handler sends.
 */
export type SessionInfo = ServerSessionInfo;
/** The `session` part of API.md's `SessionInfo`. */
export type SessionDetails = ServerSessionInfo["session"];
export type SessionUser = PublicUser;

/** `GET` and `PATCH /api/session/state`. */
export interface StateSnapshot<State> {
  state: State;
  version: number;
  updatedAt: string;
}

/** The shape every session state has: JSON-serialisable keys. */
export type SessionState = Record<string, unknown>;

/**
 * Where the client stands: `loading` until `init()` has an answer; `authenticated` with a
 * signed-in session; `anonymous` with no session or an anonymous one; `expired` after the
 * session ran out or was revoked (until a new one appears).
 */
export type SessionStatus = "loading" | "authenticated" | "anonymous" | "expired";

/** An immutable picture of the client, replaced on every change (for `useSyncExternalStore`). */
export interface SessionSnapshot<
  State extends SessionState = SessionState,
  UserState extends SessionState = SessionState,
> {
  status: SessionStatus;
  session: SessionDetails | null;
  user: SessionUser | null;
  state: State;
  /** The state's version; 0 before any state was read. */
  version: number;
  /** The signed-in user's state, shared by every device (`{}` without a signed-in user). */
  userState: UserState;
  /** The user state's version; 0 before it was read, or when it was never written. */
  userStateVersion: number;
  /** Local epoch ms at which the session expires, corrected for clock skew; null without one. */
  expiresAt: number | null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const nullableString = (value: unknown) => value === null || typeof value === "string";

/** Checks the fields the client relies on; the server's answer is not trusted blindly. */
export function asSessionInfo(body: unknown, status: number): SessionInfo {
  const session = isRecord(body) ? body["session"] : undefined;
  const user = isRecord(body) ? body["user"] : undefined;
  const valid =
    isRecord(body) &&
    isRecord(session) &&
    typeof session["id"] === "string" &&
    typeof session["expiresAt"] === "string" &&
    nullableString(session["userId"]) &&
    (user === null || (isRecord(user) && typeof user["id"] === "string" && typeof user["username"] === "string")) &&
    typeof body["csrfToken"] === "string";
  if (!valid) throw new StintClientError("bad_response", status, "The server's session answer is malformed.");
  return body as unknown as SessionInfo;
}

/** Same for the state endpoints. */
export function asStateSnapshot<State>(body: unknown, status: number): StateSnapshot<State> {
  if (!isRecord(body) || !isRecord(body["state"]) || !Number.isSafeInteger(body["version"])) {
    throw new StintClientError("bad_response", status, "The server's state answer is malformed.");
  }
  return body as unknown as StateSnapshot<State>;
}
