import { AutoExtender } from "./auto-extend.js";
import { type Clock, systemClock } from "./clock.js";
import { fetchWithCsrf } from "./csrf-fetch.js";
import { createDebugLogger, type DebugLogger } from "./debug.js";
import { isStintClientError, StintClientError } from "./errors.js";
import type { StreamEvent } from "./event-stream.js";
import { type ChangeSource, Emitter, type SessionClientEvents } from "./events.js";
import { ExpiryWatch } from "./expiry-watch.js";
import { isSameOrigin, peekErrorCode, urlOf } from "./http.js";
import { createLeader, type Leader } from "./leader.js";
import { LeaderWork } from "./leader-work.js";
import { createTabId, type TabMessage, type TabSignal } from "./messages.js";
import { type ClientMetrics, MetricsRecorder } from "./metrics.js";
import { type AutoExtendOptions, defaultEventSource, type SessionClientOptions } from "./options.js";
import { listenToPage } from "./page-events.js";
import { toLocalTime } from "./skew.js";
import { createTabChannel, type TabChannel } from "./tab-channel.js";
import { type Debounced, debounce } from "./timers.js";
import { ApiTransport } from "./transport.js";
import {
  asSessionInfo,
  asStateSnapshot,
  type SessionDetails,
  type SessionInfo,
  type SessionSnapshot,
  type SessionState,
  type SessionStatus,
  type SessionUser,
  type StateSnapshot,
} from "./types.js";

const sameDeadlineMs = 2000;

const emptySnapshot = {
  status: "loading",
  session: null,
  user: null,
  state: {},
  version: 0,
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
export class SessionClient<State extends SessionState = SessionState> {
  /** This tab's id on the channel (random, not secret). */
  readonly tabId: string;
  readonly #options: SessionClientOptions;
  readonly #clock: Clock;
  readonly #api: ApiTransport;
  readonly #name: string;
  readonly #log: DebugLogger;
  readonly #emitter = new Emitter<SessionClientEvents<State>>();
  readonly #metrics = new MetricsRecorder();
  readonly #expiry: ExpiryWatch;
  readonly #leaderWork: LeaderWork;
  readonly #syncSoon: Debounced;
  readonly #refreshSoon: Debounced;
  #snapshot: SessionSnapshot<State> = emptySnapshot as SessionSnapshot<State>;
  /** The session id the shown state belongs to; null when none was read yet. */
  #stateFor: string | null = null;
  // Every request that yields SessionInfo takes a number; an answer older than one already
  // applied (or than a logout) is dropped, so a slow GET cannot bring a session back.
  #seq = 0;
  #appliedSeq = 0;
  #warningMs: number;
  readonly #autoExtend: AutoExtender;
  #syncSource: ChangeSource = "tab";
  #refreshSource: ChangeSource = "tab";
  #channel: TabChannel | null = null;
  #leader: Leader | null = null;
  #started = false;
  #closedOnce = false;
  #starting: Promise<SessionSnapshot<State>> | null = null;
  #cleanups: Array<() => void> = [];
  #initRetry: unknown;

  constructor(options: SessionClientOptions = {}) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#name = options.name ?? "stint";
    this.#log = createDebugLogger(options.debug);
    this.tabId = options.tabId ?? createTabId();
    this.#warningMs = (options.warningThresholdSeconds ?? 60) * 1000;
    this.#autoExtend = new AutoExtender(
      {
        clock: this.#clock,
        isLeader: () => this.isLeader,
        authenticated: () => this.#snapshot.status === "authenticated",
        nearExpiry: () => (this.remainingSeconds ?? Number.POSITIVE_INFINITY) * 1000 <= this.#warningMs,
        signal: () => this.#post("activity"),
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
    this.#expiry = new ExpiryWatch(this.#clock, { warn: () => this.#onWarn(), expire: () => this.#onExpire() });
    this.#leaderWork = new LeaderWork({
      clock: this.#clock,
      eventSource: options.eventSource === undefined ? defaultEventSource() : options.eventSource,
      streamUrl: `${this.#api.baseUrl}/api/session/events`,
      pollMs: (options.pollIntervalSeconds ?? 60) * 1000,
      check: async () => {
        await this.#sync("remote");
        return this.#snapshot.session !== null;
      },
      event: (event) => this.#onStreamEvent(event),
      reconnected: () => this.#requestStateRefresh("remote"),
    });
    const debounceMs = options.debounceMs ?? 50;
    this.#syncSoon = debounce(this.#clock, debounceMs, () => {
      this.#sync(this.#syncSource).catch((error) => this.#report(error));
    });
    this.#refreshSoon = debounce(this.#clock, debounceMs, () => {
      this.#loadState(this.#refreshSource).catch((error) => this.#report(error));
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
  /** Whole seconds until the session expires, on the server's clock; null without a session. */
  get remainingSeconds(): number | null {
    const { expiresAt } = this.#snapshot;
    return expiresAt === null ? null : Math.max(0, Math.ceil((expiresAt - this.#clock.now()) / 1000));
  }
  /** `warning` fires when this many seconds remain. */
  get warningThresholdSeconds(): number {
    return this.#warningMs / 1000;
  }
  /** Whether this tab currently holds the event stream for the browser. */
  get isLeader(): boolean {
    return this.#leader?.isLeader ?? false;
  }

  /** The current snapshot; a new object after every change (for `useSyncExternalStore`). */
  readonly getSnapshot = (): SessionSnapshot<State> => this.#snapshot;

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
  on<K extends keyof SessionClientEvents<State>>(
    event: K,
    listener: (payload: SessionClientEvents<State>[K]) => void,
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
  init(): Promise<SessionSnapshot<State>> {
    if (this.#starting) return this.#starting;
    if (this.#closedOnce && (this.#options.channel || this.#options.leader)) {
      return Promise.reject(new Error("stint: a client given its own channel or leader cannot restart after close()"));
    }
    this.#setup();
    this.#starting = this.#sync("remote").then(
      () => this.#snapshot,
      (error: unknown) => {
        this.#retryInit(0);
        throw error;
      },
    );
    return this.#starting;
  }

  /** Leaves the channel and the election (another tab takes over), and stops every timer and listener. */
  close(): void {
    for (const cleanup of this.#cleanups.reverse()) cleanup();
    this.#cleanups = [];
    this.#started = false;
    this.#closedOnce = true;
    this.#starting = null;
    this.#channel = null;
    this.#leader = null;
  }

  #setup(): void {
    this.#started = true;
    const channel = this.#options.channel ?? createTabChannel(this.#name);
    const leader = this.#options.leader ?? createLeader(this.#name);
    this.#channel = channel;
    this.#leader = leader;
    const unsubscribe = channel.subscribe((message) => this.#onSignal(message));
    const unwatch = leader.onChange((isLeader) => this.#onLeaderChange(isLeader));
    this.#cleanups.push(
      () => {
        unsubscribe();
        channel.close();
      },
      () => {
        unwatch();
        leader.close();
      },
      () => {
        this.#syncSoon.cancel();
        this.#refreshSoon.cancel();
        this.#expiry.clear();
        this.#leaderWork.stop();
        this.#clock.clearTimeout(this.#initRetry);
        this.#autoExtend.attach(null);
      },
    );
    const win = this.#options.window === undefined ? globalThis.window : this.#options.window;
    const doc = this.#options.document === undefined ? globalThis.document : this.#options.document;
    this.#cleanups.push(
      listenToPage(win, doc, {
        // GET /api/session is passive: looking does not keep the session alive.
        returned: () => this.#requestSync("remote"),
        online: () => {
          this.#leaderWork.reconnectNow();
          this.#requestSync("remote");
          this.#requestStateRefresh("remote");
        },
      }),
    );
    this.#autoExtend.attach(win ?? null);
    if (leader.isLeader) this.#onLeaderChange(true);
  }

  #retryInit(attempt: number): void {
    const delay = Math.min(30_000, 1000 * 2 ** attempt);
    this.#clock.clearTimeout(this.#initRetry);
    this.#initRetry = this.#clock.setTimeout(() => {
      if (!this.#started || this.#snapshot.status !== "loading") return;
      this.#sync("remote").catch(() => this.#retryInit(attempt + 1));
    }, delay);
  }

  // ---- session -------------------------------------------------------------------------

  /** Re-reads the session (`GET /api/session`, passive: it does not extend it). */
  async sync(): Promise<SessionSnapshot<State>> {
    await this.#sync("remote");
    return this.#snapshot;
  }

  /** Extends the session now (`POST /api/session/extend`); every tab hears of it. */
  async extend(): Promise<SessionSnapshot<State>> {
    this.#autoExtend.lastExtendAt = this.#clock.now();
    const seq = ++this.#seq;
    const { status, body } = await this.#call("POST", "/api/session/extend");
    await this.#applyIfNewer(seq, asSessionInfo(body, status), "local");
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
  }): Promise<SessionSnapshot<State>> {
    const { username, password, remember = false } = credentials;
    return this.#signIn("/api/auth/login", { username, password, remember });
  }

  /** Creates an account and signs in (`POST /api/auth/register`). */
  async register(credentials: { username: string; password: string }): Promise<SessionSnapshot<State>> {
    const { username, password } = credentials;
    return this.#signIn("/api/auth/register", { username, password });
  }

  /** Signs out (`DELETE /api/session`) and tells every tab. A session already gone counts as signed out. */
  async logout(): Promise<void> {
    await this.#call("DELETE", "/api/session", undefined, { absentOk: true });
    this.#end("logout", "local", true);
  }

  /** The CSRF token for this session; fetched (creating an anonymous session if needed) when not known. */
  async getCsrfToken(): Promise<string> {
    if (this.#api.csrfToken) return this.#api.csrfToken;
    const token = await this.#api.fetchCsrfToken();
    if (!this.#snapshot.session) await this.#sync("local").catch((error) => this.#report(error));
    return token;
  }

  // ---- state ---------------------------------------------------------------------------

  /**
   * Merges `partial` into the session state (`PATCH /api/session/state`). With `ifVersion`
   * it is compare-and-set: a stale version rejects with a `StintClientError` whose code is
   * `conflict`, after the client re-read the current state.
   */
  async setState(partial: Partial<State>, options: { ifVersion?: number } = {}): Promise<SessionSnapshot<State>> {
    return this.#patch({ set: partial, ifVersion: options.ifVersion });
  }

  /** Removes keys from the session state; `ifVersion` as for `setState`. */
  async unset(
    keys: ReadonlyArray<keyof State & string>,
    options: { ifVersion?: number } = {},
  ): Promise<SessionSnapshot<State>> {
    return this.#patch({ unset: keys, ifVersion: options.ifVersion });
  }

  /** Re-reads the session state (`GET /api/session/state`). */
  async refreshState(): Promise<SessionSnapshot<State>> {
    await this.#loadState("remote");
    return this.#snapshot;
  }

  // ---- options -------------------------------------------------------------------------

  /** Turns extension on user activity (in any tab) on or off. */
  setAutoExtend(enabled: boolean | AutoExtendOptions): void {
    this.#autoExtend.set(enabled);
  }

  /** Moves the warning; re-arms it for the current session. */
  setWarningThreshold(seconds: number): void {
    this.#warningMs = Math.max(0, seconds) * 1000;
    this.#armExpiry();
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
      this.#end("expired", "remote");
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
      if (isStintClientError(error, "no_session")) this.#end("expired", "remote");
      throw error;
    }
  }

  async #sync(source: ChangeSource): Promise<void> {
    const seq = ++this.#seq;
    const started = this.#clock.now();
    const { status, body } = await this.#call("GET", "/api/session", undefined, { absentOk: true });
    const info = body === null ? null : asSessionInfo(body, status);
    const finished = this.#clock.now();
    this.#metrics.sync(finished - started, finished);
    await this.#applyIfNewer(seq, info, source);
  }

  async #signIn(path: string, body: unknown): Promise<SessionSnapshot<State>> {
    const seq = ++this.#seq;
    const { status, body: answer } = await this.#call("POST", path, body);
    const announced = await this.#applyIfNewer(seq, asSessionInfo(answer, status), "local");
    // Same user, new session id: other tabs still need the new CSRF token and stream.
    if (!announced) this.#post("login");
    return this.#snapshot;
  }

  async #patch(body: { set?: unknown; unset?: ReadonlyArray<string>; ifVersion?: number | undefined }) {
    // State needs a session; asking for a CSRF token creates an anonymous one (API.md).
    if (!this.#snapshot.session) await this.getCsrfToken();
    const sessionId = this.#snapshot.session?.id ?? null;
    try {
      const { status, body: answer } = await this.#call("PATCH", "/api/session/state", body);
      this.#applyState(asStateSnapshot<State>(answer, status), "local", sessionId);
    } catch (error) {
      if (isStintClientError(error, "conflict")) await this.#loadState("remote").catch(() => {});
      throw error;
    }
    return this.#snapshot;
  }

  async #loadState(source: ChangeSource): Promise<void> {
    const sessionId = this.#snapshot.session?.id;
    if (!sessionId) return;
    const started = this.#clock.now();
    const { status, body } = await this.#call("GET", "/api/session/state");
    const finished = this.#clock.now();
    this.#metrics.sync(finished - started, finished);
    this.#applyState(asStateSnapshot<State>(body, status), source, sessionId);
  }

  // ---- internals: applying what we learned ---------------------------------------------

  /** Applies `info` unless a newer answer (or a logout) came first; returns whether it announced a login. */
  async #applyIfNewer(seq: number, info: SessionInfo | null, source: ChangeSource): Promise<boolean> {
    if (seq <= this.#appliedSeq) return false;
    this.#appliedSeq = seq;
    return this.#applyInfo(info, source);
  }

  async #applyInfo(info: SessionInfo | null, source: ChangeSource): Promise<boolean> {
    const before = this.#snapshot;
    if (!info) {
      if (before.session) this.#end("expired", source);
      else if (before.status === "loading") this.#set({ status: "anonymous" });
      return false;
    }
    const wasLoading = before.status === "loading";
    const sessionChanged = before.session?.id !== info.session.id;
    const expiresAt = toLocalTime(info.session.expiresAt, this.#api.skewMs);
    this.#api.csrfToken = info.csrfToken;
    this.#set({
      status: info.user ? "authenticated" : "anonymous",
      session: info.session,
      user: info.user,
      expiresAt,
    });
    this.#armExpiry();
    this.#reconcileLeader();
    const signedIn = info.user !== null && !wasLoading && before.user?.id !== info.user.id;
    if (signedIn && info.user) {
      this.#log("login", { source });
      this.#emitter.emit("login", { user: info.user, source });
      if (source !== "tab") this.#post("login");
    }
    const extended =
      !wasLoading &&
      !sessionChanged &&
      expiresAt !== null &&
      before.expiresAt !== null &&
      expiresAt > before.expiresAt + sameDeadlineMs;
    if (extended && source !== "tab") this.#post("extended");
    if (sessionChanged) await this.#loadState(source).catch((error) => this.#report(error));
    return signedIn;
  }

  #applyState(snapshot: StateSnapshot<State>, source: ChangeSource, sessionId: string | null): void {
    const current = this.#snapshot;
    // The session changed while this request was in flight: its state is not ours.
    if (!current.session || current.session.id !== sessionId) return;
    const first = this.#stateFor !== sessionId;
    if (!first && snapshot.version <= current.version) return;
    const replaced = this.#stateFor !== null;
    this.#stateFor = sessionId;
    this.#set({ state: snapshot.state, version: snapshot.version });
    if (replaced) this.#emitter.emit("state", { state: snapshot.state, version: snapshot.version, source });
    if (!first && source !== "tab") this.#post("state", snapshot.version);
  }

  /**
   * The session is over. Drops everything this tab knew of it (user, state, CSRF token:
   * SR-82), stops the timers and the stream, and tells the other tabs unless they told us.
   */
  #end(kind: "expired" | "revoked" | "logout", source: ChangeSource, force = false): void {
    const before = this.#snapshot;
    if (!before.session && !force) return;
    this.#appliedSeq = ++this.#seq;
    this.#api.csrfToken = null;
    this.#stateFor = null;
    const signedIn = before.user !== null;
    this.#set({
      status: signedIn && kind !== "logout" ? "expired" : "anonymous",
      session: null,
      user: null,
      state: {} as State,
      version: 0,
      expiresAt: null,
    });
    this.#armExpiry();
    this.#reconcileLeader();
    if (!signedIn && kind !== "logout") return;
    this.#log(kind, { source });
    this.#emitter.emit(kind, { source });
    if (source !== "tab") this.#post(kind);
  }

  #set(patch: Partial<SessionSnapshot<State>>): void {
    this.#snapshot = { ...this.#snapshot, ...patch };
    this.#emitter.emit("change", this.#snapshot);
  }

  #armExpiry(): void {
    const { status, expiresAt } = this.#snapshot;
    this.#expiry.set(this.#started && status === "authenticated" ? expiresAt : null, this.#warningMs);
  }

  #reconcileLeader(): void {
    this.#leaderWork.update(this.#started && this.isLeader, this.#snapshot.session?.id ?? null);
  }

  #onWarn(): void {
    // Another tab, or a request made outside this client, may have extended the session
    // meanwhile; ask (passively) before showing a warning that is no longer true.
    this.#sync("remote")
      .catch((error) => this.#report(error))
      .finally(() => {
        const remaining = this.remainingSeconds;
        if (this.#snapshot.status !== "authenticated" || remaining === null) return;
        if (remaining * 1000 > this.#warningMs) return;
        this.#log("warning", { remainingSeconds: remaining });
        this.#emitter.emit("warning", { remainingSeconds: remaining });
      });
  }

  #onExpire(): void {
    this.#sync("remote").catch((error) => {
      this.#report(error);
      // No answer at the deadline: by the server's last word the session is over (fail closed).
      this.#end("expired", "remote");
    });
  }

  // ---- internals: tabs and the leader --------------------------------------------------

  #post(type: TabSignal, version?: number): void {
    if (!this.#channel) return;
    const message: TabMessage = { v: 1, type, at: this.#clock.now(), from: this.tabId };
    if (version !== undefined) message.version = version;
    this.#log("signal sent", { type, version: version ?? null });
    this.#channel.post(message);
  }

  #onSignal(message: TabMessage): void {
    if (message.from === this.tabId) return;
    this.#log("signal received", { type: message.type, version: message.version ?? null, from: message.from });
    switch (message.type) {
      // A signal is never proof of anything (SR-84): login, state and extension are only
      // believed once the server says so.
      case "login":
      case "extended":
        this.#requestSync("tab");
        break;
      case "state":
        if (message.version !== undefined && this.#stateFor !== null && message.version <= this.#snapshot.version)
          break;
        this.#requestStateRefresh("tab");
        break;
      // Dropping a session needs no proof, and must work offline (SR-82).
      case "logout":
      case "revoked":
      case "expired":
        this.#end(message.type, "tab");
        break;
      case "activity":
        this.#autoExtend.heard();
        break;
      case "leader":
        break;
    }
  }

  #onLeaderChange(isLeader: boolean): void {
    this.#log(isLeader ? "leading" : "following");
    this.#emitter.emit("leader", { isLeader });
    if (isLeader) {
      this.#post("leader");
      // Events may have gone unheard between the old leader's end and now.
      if (this.#snapshot.status !== "loading" && this.#snapshot.session) {
        this.#requestSync("remote");
        this.#requestStateRefresh("remote");
      }
    }
    this.#reconcileLeader();
  }

  #onStreamEvent(event: StreamEvent): void {
    this.#log("stream event", { type: event.type });
    switch (event.type) {
      case "state":
        if (event.version === null || this.#stateFor === null || event.version > this.#snapshot.version) {
          this.#requestStateRefresh("remote");
        }
        break;
      case "extended":
      case "expiring":
        this.#requestSync("remote");
        break;
      case "revoked":
      case "logout":
        this.#end(event.type, "remote");
        break;
    }
  }

  #requestSync(source: ChangeSource): void {
    if (!this.#started) return;
    this.#syncSource = source;
    this.#syncSoon();
  }

  #requestStateRefresh(source: ChangeSource): void {
    if (!this.#started) return;
    this.#refreshSource = source;
    this.#refreshSoon();
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
