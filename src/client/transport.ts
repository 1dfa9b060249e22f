import type { Clock } from "./clock.js";
import { type CsrfFetchDeps, fetchWithCsrf } from "./csrf-fetch.js";
import { StintClientError } from "./errors.js";
import { apiOrigin, errorFromResponse, networkError, readJson } from "./http.js";
import type { MetricsRecorder } from "./metrics.js";
import { estimateSkewMs } from "./skew.js";

export interface TransportOptions {
  fetch: typeof globalThis.fetch;
  baseUrl: string;
  clock: Clock;
  metrics: MetricsRecorder;
}

/**
 * The client's requests to the Stint API: JSON in and out, the CSRF token kept and
 * refreshed, API.md's error bodies turned into `StintClientError`, and the server's clock
 * read from every answer's `Date` header.
 */
export class ApiTransport {
  readonly baseUrl: string;
  /** The API's origin: the only one `fetch` sends the CSRF token to. */
  readonly origin: string;
  /** Server clock minus local clock, from the latest answer. */
  skewMs = 0;
  csrfToken: string | null = null;
  readonly #clock: Clock;
  readonly #metrics: MetricsRecorder;
  readonly csrf: CsrfFetchDeps;

  constructor(options: TransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.origin = apiOrigin(this.baseUrl);
    this.#clock = options.clock;
    this.#metrics = options.metrics;
    this.csrf = {
      fetch: options.fetch,
      origin: this.origin,
      token: () => this.csrfToken,
      refreshToken: () => this.fetchCsrfToken().catch(() => null),
    };
  }

  /**
   * One API call. A 401 `no_session` rejects like any error unless `absentOk`, where it
   * resolves with a null body: for the calls where "no session" is an answer, not a failure.
   */
  async request(
    method: string,
    path: string,
    body?: unknown,
    options: { absentOk?: boolean } = {},
  ): Promise<{ status: number; body: unknown }> {
    const sentAt = this.#clock.now();
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetchWithCsrf(this.csrf, `${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (cause) {
      this.#metrics.error();
      throw networkError(cause);
    }
    const skew = estimateSkewMs(response.headers.get("date"), sentAt, this.#clock.now());
    if (skew !== null) this.skewMs = skew;
    if (response.ok) {
      return { status: response.status, body: response.status === 204 ? null : await readJson(response) };
    }
    const error = await errorFromResponse(response);
    if (error.code === "no_session" && options.absentOk) return { status: response.status, body: null };
    this.#metrics.error();
    throw error;
  }

  /** `GET /api/session/csrf-token` (which creates an anonymous session when there is none). */
  async fetchCsrfToken(): Promise<string> {
    const { status, body } = await this.request("GET", "/api/session/csrf-token");
    const token = (body as { csrfToken?: unknown } | null)?.csrfToken;
    if (typeof token !== "string" || token === "") {
      throw new StintClientError("bad_response", status, "The server's CSRF answer is malformed.");
    }
    this.csrfToken = token;
    return token;
  }
}
