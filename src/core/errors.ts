/**
 * One error class per code of API.md's error table. Everything that can fail a request
 * throws one of these; `toErrorBody` and the HTTP layer map them to responses in one place.
 * Messages are for people and never contain a token or secret.
 */

import type { ErrorBody, ErrorCode } from "../protocol.js";

export type { ErrorBody, ErrorCode } from "../protocol.js";

const statusOf: Record<ErrorCode, number> = {
  bad_request: 400,
  no_session: 401,
  invalid_credentials: 401,
  origin_mismatch: 403,
  csrf_invalid: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  username_taken: 409,
  payload_too_large: 413,
  rate_limited: 429,
  store_unavailable: 503,
};

export class StintError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.status = statusOf[code];
  }
}

export class BadRequestError extends StintError {
  constructor(message = "The request is malformed.") {
    super("bad_request", message);
  }
}

export class NoSessionError extends StintError {
  constructor(message = "No valid session.") {
    super("no_session", message);
  }
}

export class InvalidCredentialsError extends StintError {
  constructor() {
    super("invalid_credentials", "Wrong username or password.");
  }
}

export class OriginMismatchError extends StintError {
  constructor(message = "Cross-origin request refused.") {
    super("origin_mismatch", message);
  }
}

export class CsrfInvalidError extends StintError {
  constructor(message = "Missing or invalid CSRF token.") {
    super("csrf_invalid", message);
  }
}

export class NotFoundError extends StintError {
  constructor(message = "Not found.") {
    super("not_found", message);
  }
}

export class MethodNotAllowedError extends StintError {
  /** The methods the path takes: the `Allow` header. */
  readonly allow: readonly string[];
  constructor(allow: readonly string[]) {
    super("method_not_allowed", `This path takes ${allow.join(", ")} only.`);
    this.allow = allow;
  }
}

export class ConflictError extends StintError {
  constructor(message = "The session changed since the given version.") {
    super("conflict", message);
  }
}

export class UsernameTakenError extends StintError {
  constructor() {
    super("username_taken", "That username is taken.");
  }
}

export class PayloadTooLargeError extends StintError {
  constructor(message = "The payload is too large.") {
    super("payload_too_large", message);
  }
}

export class RateLimitedError extends StintError {
  /** Seconds until a new attempt may succeed (the Retry-After header). */
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super("rate_limited", "Too many attempts. Try again later.");
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

/**
 * Why a store could not serve, as a fixed word: what clients and /api/health may see. The
 * driver's own message stays in the error's `message` and `cause`, for the log only.
 */
export type StoreFailure = "timeout" | "unreachable" | "closed" | "error";

/** The store cannot be reached or answered too late. Stint fails closed on it. */
export class StoreUnavailableError extends StintError {
  readonly reason: StoreFailure;
  constructor(message = "The session store is unavailable.", options?: ErrorOptions & { reason?: StoreFailure }) {
    super("store_unavailable", message, options);
    this.reason = options?.reason ?? "unreachable";
  }
}

/** A store refused to create a record whose id already exists. Never reaches a client. */
export class StoreConflictError extends Error {
  constructor(message = "A session with this id already exists.") {
    super(message);
    this.name = "StoreConflictError";
  }
}

/**
 * The body of an error answer. A store failure answers a fixed sentence with its reason word:
 * its own message may carry a driver's text (a host name, a file path), which only the log sees.
 */
export function toErrorBody(error: StintError): ErrorBody {
  const message =
    error instanceof StoreUnavailableError
      ? `The session store is unavailable (${error.reason}). Try again shortly.`
      : error.message;
  return { error: { code: error.code, message } };
}
