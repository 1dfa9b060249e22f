import type { ClientCore } from "./client-core.js";
import type { ChangeSource } from "./events.js";
import { ExpiryWatch } from "./expiry-watch.js";
import { toLocalTime } from "./skew.js";
import type { StateSync } from "./state-sync.js";
import { asSessionInfo, type SessionInfo, type SessionState } from "./types.js";

// Two answers for the same session whose skew estimates differ by up to a second are one deadline.
const sameDeadlineMs = 2000;

export interface SessionSyncDeps {
  /** The session's state and the user's: read anew for every new session, forgotten at its end. */
  states: ReadonlyArray<Pick<StateSync<SessionState>, "load" | "forget">>;
  /** Whether the client runs (between init and close). */
  started(): boolean;
  /** The session (or the leadership) changed: the leader's stream follows. */
  reconcileLeader(): void;
}

/**
 * The session part of a client: reads `SessionInfo` (a sync, a sign-in, an extension), applies
 * it unless a newer answer came first, ends the session when the server or another tab says it
 * is over, and warns before it expires, on the server's clock.
 */
export class SessionSync<State extends SessionState, UserState extends SessionState = SessionState> {
  readonly #core: ClientCore<State, UserState>;
  readonly #deps: SessionSyncDeps;
  readonly #expiry: ExpiryWatch;
  // Every request that yields SessionInfo takes a number; an answer older than one already
  // applied (or than a logout) is dropped, so a slow GET cannot bring a session back.
  #seq = 0;
  #appliedSeq = 0;
  #warningMs: number;

  constructor(core: ClientCore<State, UserState>, deps: SessionSyncDeps, warningMs: number) {
    this.#core = core;
    this.#deps = deps;
    this.#warningMs = warningMs;
    this.#expiry = new ExpiryWatch(core.clock, { warn: () => this.#onWarn(), expire: () => this.#onExpire() });
  }

  get warningMs(): number {
    return this.#warningMs;
  }

  set warningMs(ms: number) {
    this.#warningMs = Math.max(0, ms);
    this.armExpiry();
  }

  /** Whole seconds until the session expires, on the server's clock; null without a session. */
  get remainingSeconds(): number | null {
    const { expiresAt } = this.#core.snapshot();
    return expiresAt === null ? null : Math.max(0, Math.ceil((expiresAt - this.#core.clock.now()) / 1000));
  }

  /** `GET /api/session` (passive). */
  async read(source: ChangeSource): Promise<void> {
    const seq = ++this.#seq;
    const { clock, metrics } = this.#core;
    const started = clock.now();
    const { status, body } = await this.#core.call("GET", "/api/session", undefined, { absentOk: true });
    const info = body === null ? null : asSessionInfo(body, status);
    const finished = clock.now();
    metrics.sync(finished - started, finished);
    await this.#applyIfNewer(seq, info, source);
  }

  /** `POST /api/session/extend`. */
  async extend(): Promise<void> {
    const seq = ++this.#seq;
    const { status, body } = await this.#core.call("POST", "/api/session/extend");
    await this.#applyIfNewer(seq, asSessionInfo(body, status), "local");
  }

  /** A sign-in (`POST /api/auth/login` or `/register`); every tab hears of it. */
  async signIn(path: string, body: unknown): Promise<void> {
    const seq = ++this.#seq;
    const { status, body: answer } = await this.#core.call("POST", path, body);
    const announced = await this.#applyIfNewer(seq, asSessionInfo(answer, status), "local");
    // Same user, new session id: other tabs still need the new CSRF token and stream.
    if (!announced) this.#core.post("login");
  }

  /**
   * The session is over. Drops everything this tab knew of it (user, state, CSRF token:
   * SR-82), stops the timers and the stream, and tells the other tabs unless they told us.
   */
  end(kind: "expired" | "revoked" | "logout", source: ChangeSource, force = false): void {
    const core = this.#core;
    const before = core.snapshot();
    if (!before.session && !force) return;
    this.#appliedSeq = ++this.#seq;
    core.api.csrfToken = null;
    for (const states of this.#deps.states) states.forget();
    const signedIn = before.user !== null;
    core.set({
      status: signedIn && kind !== "logout" ? "expired" : "anonymous",
      session: null,
      user: null,
      state: {} as State,
      version: 0,
      userState: {} as UserState,
      userStateVersion: 0,
      expiresAt: null,
    });
    this.armExpiry();
    this.#deps.reconcileLeader();
    if (!signedIn && kind !== "logout") return;
    core.log(kind, { source });
    core.emitter.emit(kind, { source });
    if (source !== "tab") core.post(kind);
  }

  /** Arms the warning and expiry timers for the session shown (or disarms them). */
  armExpiry(): void {
    const { status, expiresAt } = this.#core.snapshot();
    this.#expiry.set(this.#deps.started() && status === "authenticated" ? expiresAt : null, this.#warningMs);
  }

  stop(): void {
    this.#expiry.clear();
  }

  /** Applies `info` unless a newer answer (or a logout) came first; returns whether it announced a login. */
  async #applyIfNewer(seq: number, info: SessionInfo | null, source: ChangeSource): Promise<boolean> {
    if (seq <= this.#appliedSeq) return false;
    this.#appliedSeq = seq;
    return this.#apply(info, source);
  }

  async #apply(info: SessionInfo | null, source: ChangeSource): Promise<boolean> {
    const core = this.#core;
    const before = core.snapshot();
    if (!info) {
      if (before.session) this.end("expired", source);
      else if (before.status === "loading") core.set({ status: "anonymous" });
      return false;
    }
    const wasLoading = before.status === "loading";
    const sessionChanged = before.session?.id !== info.session.id;
    const expiresAt = toLocalTime(info.session.expiresAt, core.api.skewMs);
    core.api.csrfToken = info.csrfToken;
    core.set({
      status: info.user ? "authenticated" : "anonymous",
      session: info.session,
      user: info.user,
      expiresAt,
    });
    this.armExpiry();
    this.#deps.reconcileLeader();
    const signedIn = info.user !== null && !wasLoading && before.user?.id !== info.user.id;
    if (signedIn && info.user) {
      core.log("login", { source });
      core.emitter.emit("login", { user: info.user, source });
      if (source !== "tab") core.post("login");
    }
    const extended =
      !wasLoading &&
      !sessionChanged &&
      expiresAt !== null &&
      before.expiresAt !== null &&
      expiresAt > before.expiresAt + sameDeadlineMs;
    if (extended && source !== "tab") core.post("extended");
    if (sessionChanged) {
      await Promise.all(this.#deps.states.map((states) => states.load(source).catch((error) => core.report(error))));
    }
    return signedIn;
  }

  #onWarn(): void {
    // Another tab, or a request made outside this client, may have extended the session
    // meanwhile; ask (passively) before showing a warning that is no longer true.
    this.read("remote")
      .catch((error) => this.#core.report(error))
      .finally(() => {
        const remaining = this.remainingSeconds;
        if (this.#core.snapshot().status !== "authenticated" || remaining === null) return;
        if (remaining * 1000 > this.#warningMs) return;
        this.#core.log("warning", { remainingSeconds: remaining });
        this.#core.emitter.emit("warning", { remainingSeconds: remaining });
      });
  }

  #onExpire(): void {
    this.read("remote").catch((error) => {
      this.#core.report(error);
      // No answer at the deadline: by the server's last word the session is over (fail closed).
      this.end("expired", "remote");
    });
  }
}
