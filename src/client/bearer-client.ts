import type { BearerSessionInfo, DeviceInfo } from "../protocol.js";
import { StintClientError } from "./errors.js";
import { errorFromResponse, isSameOrigin, networkError, readJson, urlOf } from "./http.js";
import { readServerSentEvents } from "./sse.js";
import { asSessionInfo, asStateSnapshot, type SessionInfo, type SessionState, type StateSnapshot } from "./types.js";

export interface BearerClientOptions {
  /** Where the Stint API is, e.g. `https://app.example` (the token only ever goes there). */
  baseUrl: string;
  /** A token kept from an earlier sign-in (say, in the OS keychain), to resume its session. */
  token?: string | null;
  fetch?: typeof globalThis.fetch;
}

/** One event of the session's stream (`GET /api/session/events`), its data parsed. */
export interface BearerStreamEvent {
  type: "state" | "user-state" | "extended" | "expiring" | "revoked" | "logout";
  data: Record<string, unknown>;
}

const streamTypes: ReadonlySet<string> = new Set(["state", "user-state", "extended", "expiring", "revoked", "logout"]);

/**
 * Stint's sessions for code that is not a browser page: a mobile app, a command-line tool, a
 * service (API.md, "Bearer tokens"). It signs in with `X-Stint-Transport: bearer`, keeps the
 * token it is given, sends it as `Authorization: Bearer` to the API's origin and nowhere
 * else, and does nothing on its own: no timer, no refresh, no retry. Store `token` where
 * secrets belong, and hand it back as `token` next time.
 *
 * @example
 * ```ts
 * import { createBearerSession } from "stint/client";
 *
 * const stint = createBearerSession({ baseUrl: "https://app.example", token: await keychain.get("stint") });
 * if (!stint.token) await stint.login({ username, password });
 * await keychain.set("stint", stint.token);
 * await stint.setUserState({ theme: "dark" });
 * for await (const event of stint.events()) if (event.type === "revoked") break;
 * ```
 */
export class BearerClient<State extends SessionState = SessionState, UserState extends SessionState = SessionState> {
  readonly baseUrl: string;
  readonly #origin: string;
  readonly #fetch: typeof globalThis.fetch;
  #token: string | null;

  constructor(options: BearerClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new TypeError(`BearerClient: baseUrl must be an absolute URL, got ${JSON.stringify(options.baseUrl)}.`);
    }
    this.baseUrl = url.href.replace(/\/+$/, "");
    this.#origin = url.origin;
    this.#fetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
    this.#token = options.token ?? null;
  }

  /** The session's `<id>.<secret>`: a secret, to keep as one. Null when signed out. */
  get token(): string | null {
    return this.#token;
  }

  // ---- the session -----------------------------------------------------------------------

  /** Signs in (`POST /api/auth/login` with `X-Stint-Transport: bearer`) and keeps the new token. */
  async login(credentials: { username: string; password: string; remember?: boolean }): Promise<SessionInfo> {
    const { username, password, remember = false } = credentials;
    return this.#signIn("/api/auth/login", { username, password, remember });
  }

  /** Creates an account and signs in, keeping the token. */
  async register(credentials: { username: string; password: string }): Promise<SessionInfo> {
    const { username, password } = credentials;
    return this.#signIn("/api/auth/register", { username, password });
  }

  /** `GET /api/session`: passive, it does not extend the session. */
  async session(): Promise<SessionInfo> {
    const { status, body } = await this.#request("GET", "/api/session");
    return asSessionInfo(body, status);
  }

  /** `POST /api/session/extend`: resets the idle window. */
  async extend(): Promise<SessionInfo> {
    const { status, body } = await this.#request("POST", "/api/session/extend");
    return asSessionInfo(body, status);
  }

  /** `DELETE /api/session`, then forgets the token (also when the session was already gone). */
  async logout(): Promise<void> {
    try {
      await this.#request("DELETE", "/api/session");
    } catch (error) {
      if (!(error instanceof StintClientError && error.code === "no_session")) throw error;
    }
    this.#token = null;
  }

  // ---- state -----------------------------------------------------------------------------

  /** `GET /api/session/state`. */
  async state(): Promise<StateSnapshot<State>> {
    return this.#stateOf("GET", "/api/session/state");
  }

  /** Merges keys into the session's state; `ifVersion` makes it compare-and-set. */
  async setState(set: Partial<State>, options: { ifVersion?: number } = {}): Promise<StateSnapshot<State>> {
    return this.#stateOf("PATCH", "/api/session/state", { set, ...options });
  }

  async unsetState(keys: ReadonlyArray<keyof State & string>, options: { ifVersion?: number } = {}) {
    return this.#stateOf<State>("PATCH", "/api/session/state", { unset: keys, ...options });
  }

  /** `GET /api/user/state`: the state every session of the user shares. */
  async userState(): Promise<StateSnapshot<UserState>> {
    return this.#stateOf("GET", "/api/user/state");
  }

  async setUserState(set: Partial<UserState>, options: { ifVersion?: number } = {}): Promise<StateSnapshot<UserState>> {
    return this.#stateOf("PATCH", "/api/user/state", { set, ...options });
  }

  async unsetUserState(keys: ReadonlyArray<keyof UserState & string>, options: { ifVersion?: number } = {}) {
    return this.#stateOf<UserState>("PATCH", "/api/user/state", { unset: keys, ...options });
  }

  // ---- devices ---------------------------------------------------------------------------

  /** The user's sessions, newest first (`GET /api/sessions`). */
  async devices(): Promise<DeviceInfo[]> {
    const { body } = await this.#request("GET", "/api/sessions");
    return (body as { sessions: DeviceInfo[] }).sessions;
  }

  /** Signs one of the user's other sessions out. */
  async revokeDevice(id: string): Promise<void> {
    await this.#request("DELETE", `/api/sessions/${encodeURIComponent(id)}`);
  }

  /** Signs out every other session of the user; how many. */
  async revokeOtherDevices(): Promise<number> {
    const { body } = await this.#request("DELETE", "/api/sessions");
    return (body as { revoked: number }).revoked;
  }

  // ---- the event stream and the app's own routes -----------------------------------------

  /**
   * The session's events as they come (`state`, `user-state`, `extended`, `expiring`, and
   * last `revoked` or `logout`), read over `fetch` with the token in a header, never in the
   * URL. Ends when the server ends the stream or `signal` aborts; a dropped connection ends
   * it too: reconnecting is the caller's choice.
   */
  async *events(options: { signal?: AbortSignal } = {}): AsyncGenerator<BearerStreamEvent> {
    const response = await this.#send("/api/session/events", {
      headers: { accept: "text/event-stream" },
      signal: options.signal,
    });
    if (!response.ok) throw await errorFromResponse(response);
    if (!response.body) return;
    try {
      for await (const event of readServerSentEvents(response.body)) {
        if (!streamTypes.has(event.type)) continue;
        yield { type: event.type as BearerStreamEvent["type"], data: parseData(event.data) };
      }
    } catch (error) {
      if (options.signal?.aborted) return;
      throw networkError(error);
    }
  }

  /**
   * `fetch` for the app's own routes on the API's origin, with `Authorization: Bearer`; a
   * request to any other origin is sent without it.
   */
  readonly fetch = (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(urlOf(input), `${this.baseUrl}/`).href;
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
    if (this.#token && isSameOrigin(url, this.#origin)) headers.set("authorization", `Bearer ${this.#token}`);
    const source = input instanceof Request ? new Request(url, input) : url;
    return this.#fetch(source, { ...init, headers, credentials: "omit" });
  };

  // ---- internals -------------------------------------------------------------------------

  async #signIn(path: string, body: unknown): Promise<SessionInfo> {
    const { status, body: answer } = await this.#request("POST", path, body, { "x-stint-transport": "bearer" });
    const info = asSessionInfo(answer, status) as BearerSessionInfo;
    if (typeof info.token !== "string" || info.token === "") {
      throw new StintClientError("bad_response", status, "The server answered a bearer sign-in without a token.");
    }
    this.#token = info.token;
    const { token: _, ...rest } = info;
    return rest;
  }

  async #stateOf<S>(method: string, path: string, body?: unknown): Promise<StateSnapshot<S>> {
    const { status, body: answer } = await this.#request(method, path, body);
    return asStateSnapshot<S>(answer, status);
  }

  async #request(
    method: string,
    path: string,
    body?: unknown,
    extra: Record<string, string> = {},
  ): Promise<{ status: number; body: unknown }> {
    const headers: Record<string, string> = { accept: "application/json", ...extra };
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await this.#send(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw await errorFromResponse(response);
    return { status: response.status, body: response.status === 204 ? null : await readJson(response) };
  }

  async #send(path: string, init: RequestInit): Promise<Response> {
    try {
      return await this.fetch(`${this.baseUrl}${path}`, init);
    } catch (cause) {
      if (init.signal?.aborted) throw cause;
      throw networkError(cause);
    }
  }
}

/** A `BearerClient` (the same, as a function). */
export function createBearerSession<
  State extends SessionState = SessionState,
  UserState extends SessionState = SessionState,
>(options: BearerClientOptions): BearerClient<State, UserState> {
  return new BearerClient<State, UserState>(options);
}

function parseData(data: string): Record<string, unknown> {
  try {
    const value = JSON.parse(data) as unknown;
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
