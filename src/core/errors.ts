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

/** The store cannot be reached or answered too late. Stint fails closed on it. */
export class StoreUnavailableError extends StintError {
  constructor(message = "The session store is unavailable.", options?: ErrorOptions) {
    super("store_unavailable", message, options);
  }
}

/** A store refused to create a record whose id already exists. Never reaches a client. */
export class StoreConflictError extends Error {
  constructor(message = "A session with this id already exists.") {
    super(message);
    this.name = "StoreConflictError";
  }
}

export function toErrorBody(error: StintError): ErrorBody {
  return { error: { code: error.code, message: error.message } };
}
