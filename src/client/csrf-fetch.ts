import { isSameOrigin, isUnsafeMethod, peekErrorCode } from "./http.js";

export interface CsrfFetchDeps {
  fetch: typeof globalThis.fetch;
  /** The API's origin: the only one that is sent the CSRF token. */
  origin: string;
  token(): string | null;
  /** Fetches a fresh token (`GET /api/session/csrf-token`); null when that failed. */
  refreshToken(): Promise<string | null>;
}

function bodyIsStream(body: unknown): boolean {
  return typeof ReadableStream !== "undefined" && body instanceof ReadableStream;
}

/**
 * `fetch` with the session's CSRF token on unsafe same-origin requests and
 * `credentials: "same-origin"` by default. A 403 `csrf_invalid` (the token changed with
 * a login or rotation in another tab) is retried once with a freshly fetched token.
 * A streamed body cannot be sent twice, so such a request is never retried.
 */
export async function fetchWithCsrf(
  deps: CsrfFetchDeps,
  input: RequestInfo | URL,
  init: RequestInit = {},
): Promise<Response> {
  const request = typeof Request !== "undefined" && input instanceof Request ? input : null;
  const url = request ? request.url : input instanceof URL ? input.href : String(input);
  const method = (init.method ?? request?.method ?? "GET").toUpperCase();
  const needsToken = isUnsafeMethod(method) && isSameOrigin(url, deps.origin);
  const retryable = needsToken && !bodyIsStream(init.body) && !(request && init.body === undefined && request.bodyUsed);
  // A Request's body can be read once: keep a copy for the retry before the first send.
  const spare = retryable && request ? request.clone() : null;

  const send = (source: RequestInfo | URL, token: string | null) => {
    const headers = new Headers(init.headers ?? request?.headers);
    if (token) headers.set("X-CSRF-Token", token);
    return deps.fetch(source, {
      ...init,
      method,
      headers,
      credentials: init.credentials ?? request?.credentials ?? "same-origin",
    });
  };

  const response = await send(input, needsToken ? deps.token() : null);
  if (!retryable || response.status !== 403 || (await peekErrorCode(response)) !== "csrf_invalid") return response;
  const fresh = await deps.refreshToken();
  if (!fresh) return response;
  return send(spare ?? input, fresh);
}
