import type { ErrorCode } from "../protocol.js";

/** The error codes of API.md's table: the server's own type (type-only, nothing is bundled). */
export type ApiErrorCode = ErrorCode;

/**
 * Every code a `StintClientError` can carry: the server's own, plus `network_error` (no
 * answer at all, status 0), `http_error` (an error status without Stint's error body) and
 * `bad_response` (a success whose body is not what API.md promises).
 */
export type StintClientErrorCode = ApiErrorCode | "network_error" | "http_error" | "bad_response";

/**
 * A failed request to the Stint API. `code` and `status` come from API.md's
 * `{ error: { code, message } }` body; the message never contains a token.
 *
 * @example
 * ```ts
 * try {
 *   await client.setState({ workspace: "w2" }, { ifVersion: 7 });
 * } catch (error) {
 *   if (isStintClientError(error, "conflict")) await client.refreshState();
 *   else throw error;
 * }
 * ```
 */
export class StintClientError extends Error {
  readonly code: StintClientErrorCode;
  /** HTTP status, or 0 when no answer arrived. */
  readonly status: number;
  /** Seconds from `Retry-After` on 429 and 503, when the server sent it. */
  readonly retryAfterSeconds: number | null;
  constructor(
    code: StintClientErrorCode,
    status: number,
    message: string,
    options?: ErrorOptions & { retryAfterSeconds?: number | null },
  ) {
    super(message, options);
    this.name = "StintClientError";
    this.code = code;
    this.status = status;
    this.retryAfterSeconds = options?.retryAfterSeconds ?? null;
  }
}

/**
 * Narrows `error` to a `StintClientError`, optionally with a given code.
 *
 * @example
 * ```ts
 * if (isStintClientError(error, "rate_limited")) showRetryIn(error.retryAfterSeconds);
 * ```
 */
export function isStintClientError<C extends StintClientErrorCode>(
  error: unknown,
  code?: C,
): error is StintClientError & { code: C } {
  return error instanceof StintClientError && (code === undefined || error.code === code);
}
