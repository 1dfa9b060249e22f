import { type ApiErrorCode, StintClientError } from "./errors.js";

const apiCodes: ReadonlySet<string> = new Set<ApiErrorCode>([
  "bad_request",
  "no_session",
  "invalid_credentials",
  "origin_mismatch",
  "csrf_invalid",
  "not_found",
  "method_not_allowed",
  "conflict",
  "username_taken",
  "payload_too_large",
  "rate_limited",
  "store_unavailable",
]);

/** Reads API.md's `{ error: { code, message } }` leniently: any other shape is `null`. */
export function parseErrorBody(body: unknown): { code: ApiErrorCode; message: string } | null {
  if (typeof body !== "object" || body === null) return null;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== "object" || error === null) return null;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code !== "string" || !apiCodes.has(code)) return null;
  return { code: code as ApiErrorCode, message: typeof message === "string" ? message : code };
}

/** The error code of a response, read from a clone so the caller still gets an unread body. */
export async function peekErrorCode(response: Response): Promise<ApiErrorCode | null> {
  try {
    return parseErrorBody(await response.clone().json())?.code ?? null;
  } catch {
    return null;
  }
}

/** Turns a non-2xx response into a `StintClientError`. */
export async function errorFromResponse(response: Response): Promise<StintClientError> {
  let parsed: ReturnType<typeof parseErrorBody> = null;
  try {
    parsed = parseErrorBody(await response.json());
  } catch {
    // Not JSON: a proxy's error page, say.
  }
  const retryAfter = Number(response.headers.get("retry-after"));
  const retryAfterSeconds = Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : null;
  if (parsed) return new StintClientError(parsed.code, response.status, parsed.message, { retryAfterSeconds });
  return new StintClientError("http_error", response.status, `The server answered ${response.status}.`, {
    retryAfterSeconds,
  });
}

/** Reads a JSON success body; anything unreadable is `bad_response`. */
export async function readJson(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch (cause) {
    throw new StintClientError("bad_response", response.status, "The server's answer is not JSON.", { cause });
  }
}

/** A fetch that rejected (offline, DNS, CORS) becomes `network_error`. */
export function networkError(cause: unknown): StintClientError {
  return new StintClientError("network_error", 0, "The server could not be reached.", { cause });
}

const safeMethods: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);

/** POST, PUT, PATCH, DELETE and anything else not defined as safe (RFC 9110 §9.2.1). */
export function isUnsafeMethod(method: string): boolean {
  return !safeMethods.has(method.toUpperCase());
}

// Stands in for the page's origin where there is no `location` (tests, workers without one),
// so that only relative URLs count as same-origin there.
const placeholderOrigin = "http://stint.invalid";

/** The origin the API lives on: `baseUrl` resolved against the page. */
export function apiOrigin(baseUrl: string): string {
  const page = globalThis.location?.href ?? `${placeholderOrigin}/`;
  try {
    return new URL(baseUrl || "/", page).origin;
  } catch {
    return new URL(page).origin;
  }
}

/**
 * Whether `url` goes to `origin`. Parsed with the URL parser rather than tested by prefix,
 * since `//evil.test`, `/\evil.test` and `https:evil.test` all leave the origin
 * (SR-86: the CSRF token only goes to same-origin URLs).
 */
export function isSameOrigin(url: string, origin: string): boolean {
  try {
    const page = globalThis.location?.href ?? `${placeholderOrigin}/`;
    return new URL(url, page).origin === origin;
  } catch {
    return false;
  }
}

/** The URL a `fetch` input points at, as a string. */
export function urlOf(input: RequestInfo | URL): string {
  if (typeof Request !== "undefined" && input instanceof Request) return input.url;
  return input instanceof URL ? input.href : String(input);
}
