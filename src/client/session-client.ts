import { AutoExtender } from "./auto-extend.js";
import type { ClientCore } from "./client-core.js";
import { type Clock, systemClock } from "./clock.js";
import { fetchWithCsrf } from "./csrf-fetch.js";
import { createDebugLogger, type DebugLogger } from "./debug.js";
import { isStintClientError, StintClientError } from "./errors.js";
import type { StreamEvent } from "./event-stream.js";
import { type ChangeSource, Emitter, type SessionClientEvents } from "./events.js";
import { isSameOrigin, peekErrorCode, urlOf } from "./http.js";
import { LeaderWork } from "./leader-work.js";
import { ClientLifecycle } from "./lifecycle.js";
import { createTabId } from "./messages.js";
import { type ClientMetrics, MetricsRecorder } from "./metrics.js";
import { type AutoExtendOptions, defaultEventSource, type SessionClientOptions } from "./options.js";
import { SessionSync } from "./session-sync.js";
import { notSignedIn, StateSync, sessionSlot, userSlot } from "./state-sync.js";
import { TabMessages } from "./tab-messages.js";
import { type Debounced, debounce } from "./timers.js";
import { ApiTransport } from "./transport.js";
import type { SessionDetails, SessionSnapshot, SessionState, SessionStatus, SessionUser } from "./types.js";

const emptySnapshot = {
  status: "loading",
  session: null,
  user: null,
  state: {},
  version: 0,
  userState: {},
  userStateVersion: 0,
  expiresAt: null,
} as const satisfies SessionSnapshot;

/**
 * The browser side of Stint: one per page. It reads the session from `/api/session`,
 * keeps every tab of the browser in step through signals on a `TabChannel`, lets one
 * leader tab hold the event stream for all, warns before expiry on the server's clock,
 * and wraps `fetch` with the CSRF token.
 *
 * @example
 * ```ts
 * import { SessionClient } from "stint/client";
 *
 * const client = new SessionClient<{ workspace?: string }>({ autoExtend: { throttleSeconds: 60 } });
 * client.on("warning", ({ remainingSeconds }) => showDialog(remainingSeconds));
 * client.on("expired", () => location.assign("/login"));
 * client.on("state", ({ source }) => { if (source === "tab") toast("Updated in another tab"); });
 * await client.init();
 * await client.setState({ workspace: "w2" });
 * await client.fetch("/api/things", { method: "POST", body: JSON.stringify({ name: "x" }) });
 * ```
 */
export class SessionClient<State extends SessionState = SessionState, UserState extends SessionState = SessionState> {
  /** This tab's id on the channel (random, not secret). */
  readonly tabId: string;
  readonly #clock: Clock;
  readonly #api: ApiTransport;
  readonly #log: DebugLogger;
  readonly #emitter = new Emitter<SessionClientEvents<State, UserState>>();
  readonly #metrics = new MetricsRecorder();
  readonly #core: ClientCore<State, UserState>;
  readonly #messages: TabMessages;
  readonly #states: StateSync<State, UserState>;
  readonly #userStates: StateSync<State, UserState>;
  readonly #lifecycle: ClientLifecycle;
  readonly #session: SessionSync<State, UserState>;
  readonly #leaderWork: LeaderWork;
  readonly #syncSoon: Debounced;
  readonly #refreshSoon: Debounced;
  readonly #userRefreshSoon: Debounced;
  #snapshot: SessionSnapshot<State, UserState> = emptySnapshot as SessionSnapshot<State, UserState>;
  readonly #autoExtend: AutoExtender;
  #syncSource: ChangeSource = "tab";
  #refreshSource: ChangeSource = "tab";
  #userRefreshSource: ChangeSource = "tab";

  constructor(options: SessionClientOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#log = createDebugLogger(options.debug);
    this.tabId = options.tabId ?? createTabId();
    this.#autoExtend = new AutoExtender(
      {
        clock: this.#clock,
        isLeader: () => this.isLeader,
        authenticated: () => this.#snapshot.status === "authenticated",
        nearExpiry: () => (this.remainingSeconds ?? Number.POSITIVE_INFINITY) * 1000 <= this.#session.warningMs,
        signal: () => this.#messages.post("activity"),
        extend: () => {
          this.extend().catch((error) => this.#report(error));
        },
      },
      options.autoExtend,
    );
    const fetchImpl =
      options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
    this.#api = new ApiTransport({
      fetch: fetchImpl,
      baseUrl: options.baseUrl ?? "",
      clock: this.#clock,
      metrics: this.#metrics,
    });
    this.#leaderWork = new LeaderWork({
      clock: this.#clock,
      eventSource: options.eventSource === undefined ? defaultEventSource() : options.eventSource,
      streamUrl: `${this.#api.baseUrl}/api/session/events`,
      pollMs: (options.pollIntervalSeconds ?? 60) * 1000,
      check: async () => {
        await this.#session.read("remote");
        return this.#snapshot.session !== null;
      },
      event: (event) => this.#onStreamEvent(event),
      reconnected: () => this.#requestStateRefreshes("remote"),
    });
    const debounceMs = options.debounceMs ?? 50;
    this.#syncSoon = debounce(this.#clock, debounceMs, () => {
      this.#session.read(this.#syncSource).catch((error) => this.#report(error));
    });
    this.#refreshSoon = debounce(this.#clock, debounceMs, () => {
      this.#states.load(this.#refreshSource).catch((error) => this.#report(error));
    });
    this.#userRefreshSoon = debounce(this.#clock, debounceMs, () => {
      this.#userStates.load(this.#userRefreshSource).catch((error) => this.#report(error));
    });
    this.#messages = new TabMessages({
      tabId: this.tabId,
      clock: this.#clock,
      log: this.#log,
      handlers: {
        changed: () => this.#requestSync("tab"),
        state: (version) => {
          if (this.#states.signaled(version)) this.#requestStateRefresh("tab");
        },
        userState: (version) => {
          if (this.#userStates.signaled(version)) this.#requestUserStateRefresh("tab");
        },
        ended: (kind) => this.#session.end(kind, "tab"),
        activity: () => this.#autoExtend.heard(),
        message: (type, data) => this.#emitter.emit("message", { type, data, source: "tab" }),
      },
    });
    this.#core = {
      clock: this.#clock,
      log: this.#log,
      metrics: this.#metrics,
      api: this.#api,
      emitter: this.#emitter,
      snapshot: () => this.#snapshot,
      set: (patch) => this.#set(patch),
      call: (method, path, body, callOptions) => this.#call(method, path, body, callOptions),
      post: (type, version) => this.#messages.post(type, version),
      report: (error) => this.#report(error),
    };
    // Session state needs a session, and asking for a CSRF token creates an anonymous one (API.md).
    this.#states = new StateSync(this.#core, sessionSlot, () => this.getCsrfToken());
    // A user's state needs a signed-in user: without one nothing is sent (a 401 would end the session).
    this.#userStates = new StateSync(this.#core, userSlot, () => Promise.reject(notSignedIn()));
    this.#session = new SessionSync(
      this.#core,
      {
        states: [this.#states, this.#userStates],
        started: () => this.#lifecycle.started,
        reconcileLeader: () => this.#reconcileLeader(),
      },
      (options.warningThresholdSeconds ?? 60) * 1000,
    );
    this.#lifecycle = new ClientLifecycle({
      options,
      clock: this.#clock,
      messages: this.#messages,
      autoExtend: this.#autoExtend,
      read: () => this.#session.read("remote"),
      loading: () => this.#snapshot.status === "loading",
      leaderChanged: (isLeader) => this.#onLeaderChange(isLeader),
      // GET /api/session is passive: looking does not keep the session alive.
      returned: () => this.#requestSync("remote"),
      online: () => {
        this.#leaderWork.reconnectNow();
        this.#requestSync("remote");
        this.#requestStateRefreshes("remote");
      },
      stop: () => {
        this.#syncSoon.cancel();
        this.#refreshSoon.cancel();
        this.#userRefreshSoon.cancel();
        this.#session.stop();
        this.#leaderWork.stop();
      },
    });
  }

  // ---- reading -------------------------------------------------------------------------

  get status(): SessionStatus {
    return this.#snapshot.status;
  }
  get session(): SessionDetails | null {
    return this.#snapshot.session;
  }
  get user(): SessionUser | null {
    return this.#snapshot.user;
  }
  get state(): State {
    return this.#snapshot.state;
  }
  get version(): number {
    return this.#snapshot.version;
  }
  /** The signed-in user's state, the same on every device; `{}` without a signed-in user. */
  get userState(): UserState {
    return this.#snapshot.userState;
  }
  get userStateVersion(): number {
    return this.#snapshot.userStateVersion;
  }
  /** Whole seconds until the session expires, on the server's clock; null without a session. */
  get remainingSeconds(): number | null {
    return this.#session.remainingSeconds;
  }
  /** `warning` fires when this many seconds remain. */
  get warningThresholdSeconds(): number {
    return this.#session.warningMs / 1000;
  }
  /** Whether this tab currently holds the event stream for the browser. */
  get isLeader(): boolean {
    return this.#lifecycle.isLeader;
  }

  /** The current snapshot; a new object after every change (for `useSyncExternalStore`). */
  readonly getSnapshot = (): SessionSnapshot<State, UserState> => this.#snapshot;

  /** Calls `listener` after every change; returns the unsubscribe (for `useSyncExternalStore`). */
  readonly subscribe = (listener: () => void): (() => void) => this.#emitter.on("change", () => listener());

  /**
   * Listens to a client event; returns the function that unsubscribes.
   *
   * @example
   * ```ts
   * const stop = client.on("revoked", () => location.assign("/login"));
   * ```
   */
  on<K extends keyof SessionClientEvents<State, UserState>>(
    event: K,
    listener: (payload: SessionClientEvents<State, UserState>[K]) => void,
  ): () => void {
    return this.#emitter.on(event, listener);
  }

  /** How this tab's syncs went. */
  metrics(): ClientMetrics {
    return this.#metrics.snapshot();
  }

  // ---- lifecycle -----------------------------------------------------------------------

  /**
   * Joins the tab channel and the leader election, starts listening to the page, and reads
   * the session. Resolves once the first read succeeded; if it failed, rejects and keeps
   * retrying with backoff. Calling it again returns the same promise.
   */
  init(): Promise<SessionSnapshot<State, UserState>> {
    return this.#lifecycle.init().then(() => this.#snapshot);
  }

  /** Leaves the channel and the election (another tab takes over), and stops every timer and listener. */
  close(): void {
    this.#lifecycle.close();
  }

  // ---- session -------------------------------------------------------------------------

  /** Re-reads the session (`GET /api/session`, passive: it does not extend it). */
  async sync(): Promise<SessionSnapshot<State, UserState>> {
    await this.#session.read("remote");
    return this.#snapshot;
  }

  /** Extends the session now (`POST /api/session/extend`); every tab hears of it. */
  async extend(): Promise<SessionSnapshot<State, UserState>> {
    this.#autoExtend.lastExtendAt = this.#clock.now();
    await this.#session.extend();
    return this.#snapshot;
  }

  /**
   * Signs in with the demo app's account endpoint (`POST /api/auth/login`); every tab hears
   * of it. Throws `invalid_credentials` or `rate_limited` as a `StintClientError`.
   */
  async login(credentials: {
    username: string;
    password: string;
    remember?: boolean;
  }): Promise<SessionSnapshot<State, UserState>> {
    const { username, password, remember = false } = credentials;
    await this.#session.signIn("/api/auth/login", { username, password, remember });
    return this.#snapshot;
  }

  /** Creates an account and signs in (`POST /api/auth/register`). */
  async register(credentials: { username: string; password: string }): Promise<SessionSnapshot<State, UserState>> {
    const { username, password } = credentials;
    await this.#session.signIn("/api/auth/register", { username, password });
    return this.#snapshot;
  }

  /** Signs out (`DELETE /api/session`) and tells every tab. A session already gone counts as signed out. */
  async logout(): Promise<void> {
    await this.#call("DELETE", "/api/session", undefined, { absentOk: true });
    this.#session.end("logout", "local", true);
  }

  /** The CSRF token for this session; fetched (creating an anonymous session if needed) when not known. */
  async getCsrfToken(): Promise<string> {
    if (this.#api.csrfToken) return this.#api.csrfToken;
    const token = await this.#api.fetchCsrfToken();
    if (!this.#snapshot.session) await this.#session.read("local").catch((error) => this.#report(error));
    return token;
  }

  // ---- state ---------------------------------------------------------------------------

  /**
   * Merges `partial` into the session state (`PATCH /api/session/state`). With `ifVersion`
   * it is compare-and-set: a stale version rejects with a `StintClientError` whose code is
   * `conflict`, after the client re-read the current state.
   */
  async setState(
    partial: Partial<State>,
    options: { ifVersion?: number } = {},
  ): Promise<SessionSnapshot<State, UserState>> {
    await this.#states.patch({ set: partial, ifVersion: options.ifVersion });
    return this.#snapshot;
  }

  /** Removes keys from the session state; `ifVersion` as for `setState`. */
  async unset(
    keys: ReadonlyArray<keyof State & string>,
    options: { ifVersion?: number } = {},
  ): Promise<SessionSnapshot<State, UserState>> {
    await this.#states.patch({ unset: keys, ifVersion: options.ifVersion });
    return this.#snapshot;
  }

  /** Re-reads the session state (`GET /api/session/state`). */
  async refreshState(): Promise<SessionSnapshot<State, UserState>> {
    await this.#states.load("remote");
    return this.#snapshot;
  }

  // ---- the user's state -----------------------------------------------------------------

  /**
   * Merges `partial` into the signed-in user's state (`PATCH /api/user/state`): every tab of
   * every browser where this user is signed in follows. Rejects with `no_session` without a
   * signed-in user (nothing is sent), and with `conflict` on a stale `ifVersion`.
   *
   * @example
   * ```ts
   * await client.setUserState({ theme: "dark" });
   * client.on("user-state", ({ state, source }) => applyTheme(state.theme));
   * ```
   */
  async setUserState(
    partial: Partial<UserState>,
    options: { ifVersion?: number } = {},
  ): Promise<SessionSnapshot<State, UserState>> {
    await this.#userStates.patch({ set: partial, ifVersion: options.ifVersion });
    return this.#snapshot;
  }

  /** Removes keys from the user's state; `ifVersion` as for `setUserState`. */
  async unsetUserState(
    keys: ReadonlyArray<keyof UserState & string>,
    options: { ifVersion?: number } = {},
  ): Promise<SessionSnapshot<State, UserState>> {
    await this.#userStates.patch({ unset: keys, ifVersion: options.ifVersion });
    return this.#snapshot;
  }

  /** Re-reads the user's state (`GET /api/user/state`). */
  async refreshUserState(): Promise<SessionSnapshot<State, UserState>> {
    await this.#userStates.load("remote");
    return this.#snapshot;
  }

  // ---- messages between tabs -----------------------------------------------------------

  /**
   * Sends the app's own message to the other tabs of this browser, heard there as
   * `client.on("message", …)` (seed 000's `TabSync.broadcast`). `data` is plain JSON of at
   * most 16 KiB, for app data only: a TypeError if it is not, or if it holds the session's
   * CSRF token. It does not reach the server, nor other browsers.
   *
   * @example
   * ```ts
   * client.broadcast("session_selected", { sessionId: "my_session" });
   * client.on("message", ({ type, data }) => { if (type === "session_selected") select(data); });
   * ```
   */
  broadcast(type: string, data: unknown = null): void {
    this.#messages.broadcast(type, data, this.#api.csrfToken);
  }

  // ---- options -------------------------------------------------------------------------

  /** Turns extension on user activity (in any tab) on or off. */
  setAutoExtend(enabled: boolean | AutoExtendOptions): void {
    this.#autoExtend.set(enabled);
  }

  /** Moves the warning; re-arms it for the current session. */
  setWarningThreshold(seconds: number): void {
    this.#session.warningMs = seconds * 1000;
  }

  // ---- fetch ---------------------------------------------------------------------------

  /**
   * `fetch` for the app's own requests: sends cookies same-origin, adds `X-CSRF-Token` to
   * unsafe same-origin requests only, retries once with a fresh token on 403
   * `csrf_invalid`, and turns a 401 `no_session` into the `expired` event.
   *
   * @example
   * ```ts
   * const response = await client.fetch("/api/sessions/abc", { method: "DELETE" });
   * ```
   */
  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const response = await fetchWithCsrf(this.#api.csrf, input, init);
    if (
      response.status === 401 &&
      isSameOrigin(urlOf(input), this.#api.origin) &&
      (await peekErrorCode(response)) === "no_session"
    ) {
      this.#session.end("expired", "remote");
    }
    return response;
  };

  // ---- internals: requests -------------------------------------------------------------

  /** An API call; a lost session (401 `no_session`) also ends it here and in every tab. */
  async #call(
    method: string,
    path: string,
    body?: unknown,
    options: { absentOk?: boolean } = {},
  ): Promise<{ status: number; body: unknown }> {
    try {
      return await this.#api.request(method, path, body, options);
    } catch (error) {
      if (isStintClientError(error, "no_session")) this.#session.end("expired", "remote");
      throw error;
    }
  }

  #set(patch: Partial<SessionSnapshot<State, UserState>>): void {
    this.#snapshot = { ...this.#snapshot, ...patch };
    this.#emitter.emit("change", this.#snapshot);
  }

  #reconcileLeader(): void {
    this.#leaderWork.update(this.#lifecycle.started && this.isLeader, this.#snapshot.session?.id ?? null);
  }

  // ---- internals: tabs and the leader --------------------------------------------------

  #onLeaderChange(isLeader: boolean): void {
    this.#log(isLeader ? "leading" : "following");
    this.#emitter.emit("leader", { isLeader });
    if (isLeader) {
      this.#messages.post("leader");
      // Events may have gone unheard between the old leader's end and now.
      if (this.#snapshot.status !== "loading" && this.#snapshot.session) {
        this.#requestSync("remote");
        this.#requestStateRefreshes("remote");
      }
    }
    this.#reconcileLeader();
  }

  #onStreamEvent(event: StreamEvent): void {
    this.#log("stream event", { type: event.type });
    switch (event.type) {
      case "state":
        if (this.#states.isNews(event.version)) this.#requestStateRefresh("remote");
        break;
      case "user-state":
        if (this.#userStates.isNews(event.version)) this.#requestUserStateRefresh("remote");
        break;
      case "extended":
      case "expiring":
        this.#requestSync("remote");
        break;
      case "revoked":
      case "logout":
        this.#session.end(event.type, "remote");
        break;
    }
  }

  #requestSync(source: ChangeSource): void {
    if (!this.#lifecycle.started) return;
    this.#syncSource = source;
    this.#syncSoon();
  }

  #requestStateRefresh(source: ChangeSource): void {
    if (!this.#lifecycle.started) return;
    this.#refreshSource = source;
    this.#refreshSoon();
  }

  #requestUserStateRefresh(source: ChangeSource): void {
    if (!this.#lifecycle.started) return;
    this.#userRefreshSource = source;
    this.#userRefreshSoon();
  }

  /** Both states, after a time events may have gone unheard (a new leader, a reconnect). */
  #requestStateRefreshes(source: ChangeSource): void {
    this.#requestStateRefresh(source);
    this.#requestUserStateRefresh(source);
  }

  /**
   * Counts user activity in this tab for auto-extend. The page's input events already call
   * it; call it for activity they cannot see (a video playing, say).
   */
  noteActivity(): void {
    this.#autoExtend.activity();
  }

  #report(error: unknown): void {
    const failure = isStintClientError(error)
      ? error
      : new StintClientError("bad_response", 0, "The session client failed unexpectedly.", { cause: error });
    this.#log("error", { code: failure.code, status: failure.status });
    this.#emitter.emit("error", failure);
  }
}
